using LlamaSteer.Chat;
using LlamaSteer.Generation;
using LlamaSteer.Host.Tests.Cli;
using LlamaSteer.Inference;
using LlamaSteer.Sampling;
using LlamaSteer.Steering;
using PuppeteerSharp;

namespace LlamaSteer.Host.Tests.Serving.Page;

/// <summary>
/// The page with a model that has a chat template (stories260K rewritten with chatml's template): a two-turn chat whose
/// second answer is what the engine writes for the whole conversation, formatted with the template.
/// </summary>
[TestFixture]
[NonParallelizable]
public class ChatTemplatePageTests
{
    private const string ChatmlTemplate =
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private ServingWorld _world = null!;
    private ServerProcess _server = null!;
    private HeadlessChromium _chromium = null!;

    [OneTimeSetUp]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Start()
    {
        _world = new ServingWorld();
        var model = ModelEdits.Rewrite(_world.Root, "stories-chat.gguf", (w, _) => w.SetString("tokenizer.chat_template", ChatmlTemplate));
        _server = await ServerProcess.StartAsync(_world.NewDataDir(), "--model", model, "--model-id", "stories-chat", "--vectors", _world.VectorDir);
        _chromium = await HeadlessChromium.StartAsync();
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_chromium is not null) await _chromium.DisposeAsync();
        if (_server is not null) await _server.DisposeAsync();
        _world?.Dispose();
    }

    /// <summary>The engine alone: the conversation formatted with chatml, greedy, steered by the plan.</summary>
    private string Answer(IReadOnlyList<ChatMessage> conversation, int maxTokens, SteeringPlan plan)
    {
        var prompt = ChatFormatter.Format(_world.Model, conversation, "chatml");
        using var ctx = _world.Model.CreateContext(new ContextOptions { Threads = 1, ContextSize = 256, EnableGraphHooks = true });
        return new TextGenerator(ctx).Generate(prompt, new GenerationOptions { MaxTokens = maxTokens, Sampling = SamplingOptions.Greedy, Plan = plan, ParseSpecialTokens = true }).Text;
    }

    [Test]
    public async Task ASecondTurnIsAnsweredWithTheWholeConversationInTheModelsTemplate()
    {
        var page = await _chromium.Browser.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, e) => { if (e.Message.Type == ConsoleType.Error) lock (errors) errors.Add(e.Message.Text); };
        await page.GoToAsync(_server.Address.ToString());
        await page.WaitForSelectorAsync("body[data-status='ready']");
        Assert.That(await page.EvaluateExpressionAsync<string>("document.getElementById('model').textContent"), Does.Contain("stories-chat").And.Contain("chat template"));
        await page.EvaluateFunctionAsync("() => { const s = document.querySelector(\".vector[data-name='happy'] .strength\"); s.value = '1.5'; s.dispatchEvent(new Event('input')); document.getElementById('maxTokens').value = '16'; document.getElementById('pace').value = '0'; }");

        await page.TypeAsync("#prompt", "Tell me a story");
        await page.ClickAsync("#send");
        await page.WaitForFunctionAsync("() => document.body.dataset.finished === '1'");
        await page.TypeAsync("#prompt", "And then?");
        await page.ClickAsync("#send");
        await page.WaitForFunctionAsync("() => document.body.dataset.finished === '2'");

        var plan = ServingWorld.Plan(new SteeringTerm(_world.Happy, 1.5f, LayerSet.Parse("1-4", _world.Model.LayerCount)), new SteeringTerm(_world.Sad, 0f, LayerSet.Parse("1-4", _world.Model.LayerCount)));
        var first = Answer([new ChatMessage("user", "Tell me a story")], 16, plan);
        var second = Answer([new ChatMessage("user", "Tell me a story"), new ChatMessage("assistant", first), new ChatMessage("user", "And then?")], 16, plan);
        Assert.That(await page.EvaluateExpressionAsync<string>("document.getElementById('steeredText').textContent"), Is.EqualTo(second));
        Assert.That(second, Is.Not.EqualTo(Answer([new ChatMessage("user", "And then?")], 16, plan)), "the first turn matters to the second");
        Assert.That(errors, Is.Empty, "console errors");
        await page.CloseAsync();
    }

    [Test]
    public async Task WithApiKeysThePageAsksForOneAndThenConnects()
    {
        await using var guarded = await ServerProcess.StartAsync(_world.NewDataDir(), "--api-key-file", _world.KeyFile, "--vectors", _world.VectorDir);
        var page = await _chromium.Browser.NewPageAsync();
        await page.GoToAsync(guarded.Address.ToString());
        await page.WaitForSelectorAsync("#keyRow:not([hidden])");
        Assert.That(await page.EvaluateExpressionAsync<string>("document.getElementById('error').textContent"), Does.StartWith("Cannot connect to the chat hub"));
        await page.TypeAsync("#apiKey", ServingWorld.InferenceKey);
        await page.Keyboard.PressAsync("Tab");
        await page.WaitForSelectorAsync("body[data-status='ready']");
        Assert.That(await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#vectors .vector').length"), Is.EqualTo(2));
        await page.CloseAsync();
    }
}
