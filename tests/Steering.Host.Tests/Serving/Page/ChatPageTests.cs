using System.Globalization;
using System.Text.Json.Nodes;
using LlamaSteer.Host.Serving.Chat;
using LlamaSteer.Steering;
using LlamaSteer.Steering.Contextual;
using Microsoft.AspNetCore.SignalR.Client;
using PuppeteerSharp;

namespace LlamaSteer.Host.Tests.Serving.Page;

/// <summary>
/// The chat page in a real headless Chromium (fetched from the npm registry, see <see cref="HeadlessChromium"/>) against the
/// real <c>llamasteer serve</c> on loopback with stories260K: streaming, a slider moved mid-answer, compare mode, the token
/// map's numbers against what the hub reports to a .NET client, bad input shown on the page, and no console errors.
/// </summary>
[TestFixture]
[NonParallelizable]
public class ChatPageTests
{
    private ServingWorld _world = null!;
    private ServerProcess _server = null!;
    private HeadlessChromium _chromium = null!;
    private HubConnection _hub = null!;

    [OneTimeSetUp]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Start()
    {
        _world = new ServingWorld();
        // CLAS parameters for the happy vector, so the map shows a strength that varies token by token.
        var rng = new Random(7);
        var clas = new LinearContextualStrength(_world.Model.EmbeddingSize, Enumerable.Range(1, 4).Select(l =>
            new ClasLayer(l, Enumerable.Range(0, _world.Model.EmbeddingSize).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray(), 0.4f)), min: -1, max: 1.5f);
        new ClasParameters(clas, ClasParameters.Fingerprint(_world.Happy)).Save(ClasParameters.PathBeside(Path.Combine(_world.VectorDir, "happy.gguf")));
        _server = await ServerProcess.StartAsync(_world.NewDataDir(), "--vectors", _world.VectorDir, "--max-strength", "8");
        _hub = await ChatConnection.OpenAsync(_server.Address);
        _chromium = await HeadlessChromium.StartAsync();
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_chromium is not null) await _chromium.DisposeAsync();
        if (_hub is not null) await _hub.DisposeAsync();
        if (_server is not null) await _server.DisposeAsync();
        _world?.Dispose();
    }

    /// <summary>A fresh tab on the page, ready, recording console errors and page errors.</summary>
    private async Task<(IPage Page, List<string> Errors)> OpenAsync()
    {
        var page = await _chromium.Browser.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, e) => { if (e.Message.Type == ConsoleType.Error) lock (errors) errors.Add(e.Message.Text); };
        page.PageError += (_, e) => { lock (errors) errors.Add(e.Message); };
        // Works offline: every script and style comes from the host itself.
        page.Request += (_, e) =>
        {
            if (!e.Request.Url.StartsWith(_server.Address.ToString(), StringComparison.Ordinal) && !e.Request.Url.StartsWith("ws://" + _server.Address.Authority, StringComparison.Ordinal))
                lock (errors) errors.Add($"request to another origin: {e.Request.Url}");
        };
        await page.GoToAsync(_server.Address.ToString());
        await page.WaitForSelectorAsync("body[data-status='ready']", new WaitForSelectorOptions { Timeout = 30_000 });
        return (page, errors);
    }

    private static Task SetAsync(IPage page, string selector, string value) =>
        page.EvaluateFunctionAsync("(s, v) => { const e = document.querySelector(s); e.value = v; e.dispatchEvent(new Event('input')); e.dispatchEvent(new Event('change')); }", selector, value);

    private static string Slider(string vector) => $".vector[data-name='{vector}'] .strength";

    private static async Task SendAsync(IPage page, string prompt)
    {
        await page.TypeAsync("#prompt", prompt);
        await page.ClickAsync("#send");
    }

    private static Task WaitFinishedAsync(IPage page, int count = 1) =>
        page.WaitForFunctionAsync($"() => Number(document.body.dataset.finished || 0) >= {count}", new WaitForFunctionOptions { Timeout = 60_000 });

    private sealed record Cell(int Index, string Text, int Revision, float[] Applied, float[] Projection, string Title);

    private static async Task<Cell[]> CellsAsync(IPage page, string side = "steered")
    {
        var raw = await page.EvaluateFunctionAsync<string[][]>(
            "side => [...document.querySelectorAll('#' + side + 'Map .tok')].map(c => [c.dataset.index, c.dataset.revision, c.dataset.applied, c.dataset.projection, c.title])", side);
        static float[] Floats(string s) => s.Length == 0 ? [] : s.Split(',').Select(x => x == "NaN" ? float.NaN : float.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        var texts = await page.EvaluateFunctionAsync<string[]>("side => [...document.querySelectorAll('#' + side + 'Map .tok')].map(c => c.textContent)", side);
        return raw.Select((r, i) => new Cell(int.Parse(r[0]), texts[i], int.Parse(r[1]), Floats(r[2]), Floats(r[3]), r[4])).ToArray();
    }

    private static Task<string> TextAsync(IPage page, string side = "steered") =>
        page.EvaluateFunctionAsync<string>("side => document.getElementById(side + 'Text').textContent", side);

    private SteeringPlan Happy(float strength) => ServingWorld.Plan(new SteeringTerm(_world.Happy, strength, LayerSet.Parse("1-4", _world.Model.LayerCount)));

    /// <summary>What the page sends for these sliders: every registered vector, sad at 0.</summary>
    private static ChatGenerateRequest Request(string prompt, int maxTokens, float happy) =>
        ChatConnection.Request(prompt, maxTokens, ChatConnection.Vector("happy", happy, "1-4"), ChatConnection.Vector("sad", 0, "1-4"));

    [Test, Order(1)]
    public async Task TokensStreamAndTheMapHasOneCellPerTokenWithTheHubsNumbers()
    {
        var (page, errors) = await OpenAsync();
        Assert.That(await page.EvaluateExpressionAsync<string[]>("[signalR.VERSION, signalR.protocols.msgpack.VERSION]"), Is.EqualTo(new[] { "10.0.11", "10.0.11" }),
            "the page runs the pinned client scripts, served by the host");
        await SetAsync(page, Slider("happy"), "1.5");
        await SetAsync(page, "#maxTokens", "40");
        await SetAsync(page, "#pace", "40");
        await SendAsync(page, "Once upon a time");

        await page.WaitForFunctionAsync("() => document.querySelectorAll('#steeredMap .tok').length >= 3", new WaitForFunctionOptions { Timeout = 30_000 });
        var midway = await page.EvaluateExpressionAsync<int>("document.body.dataset.running === 'true' ? document.querySelectorAll('#steeredMap .tok').length : -1");
        Assert.That(midway, Is.InRange(3, 39), "tokens appear while the answer is still being written");
        await WaitFinishedAsync(page);

        var reference = await _hub.GenerateAsync(Request("Once upon a time", 40, 1.5f));
        var expected = reference.Tokens();
        var cells = await CellsAsync(page);
        Assert.That(await TextAsync(page), Is.EqualTo(_world.Expected("Once upon a time", 40, Happy(1.5f))));
        Assert.That(await TextAsync(page), Is.EqualTo(reference.Text()));
        Assert.That(cells, Has.Length.EqualTo(expected.Count), "one cell per token");
        for (var i = 0; i < cells.Length; i++)
        {
            Assert.That(cells[i].Index, Is.EqualTo(i));
            Assert.That(cells[i].Applied, Is.EqualTo(expected[i].Applied), $"applied strengths of token {i}");
            Assert.That(cells[i].Projection, Is.EqualTo(expected[i].Projection).Within(1e-6f), $"projections of token {i}");
            Assert.That(cells[i].Title, Does.Contain($"applied {expected[i].Applied[0].ToString("F4", CultureInfo.InvariantCulture)}")
                .And.Contain($"projection {expected[i].Projection[0].ToString("F4", CultureInfo.InvariantCulture)}"), "the numbers on hover");
        }
        Assert.That(cells.Select(c => c.Applied[0]).Distinct(), Is.EqualTo(new[] { 1.5f }));
        Assert.That(errors, Is.Empty, "console errors");
        await page.CloseAsync();
    }

    [Test, Order(2)]
    public async Task MovingASliderMidAnswerChangesTheTextAfterThatPointAndTheMapShowsIt()
    {
        var (page, errors) = await OpenAsync();
        await SetAsync(page, Slider("happy"), "1");
        await SetAsync(page, "#maxTokens", "90");
        await SetAsync(page, "#pace", "60");
        await page.ClickAsync("#compare");
        await SendAsync(page, "Once upon a time");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#steeredMap .tok').length >= 6", new WaitForFunctionOptions { Timeout = 30_000 });
        var before = (await CellsAsync(page)).Length;
        // The user's move: focus the slider and press End (its maximum, +8), while the answer is being written.
        await page.FocusAsync(Slider("happy"));
        await page.Keyboard.PressAsync("End");
        await WaitFinishedAsync(page);

        var cells = await CellsAsync(page);
        var k = Array.FindIndex(cells, c => c.Revision > 0);
        Assert.That(k, Is.GreaterThanOrEqualTo(before), "tokens shown before the move keep the old plan");
        Assert.That(k, Is.InRange(1, cells.Length - 6), "the move landed mid-answer");
        Assert.That(cells.Take(k).All(c => c.Applied[0] == 1f) && cells.Skip(k).All(c => c.Applied[0] == 8f), Is.True, "the map shows the strength in force at each token");

        var unchanged = (await _hub.GenerateAsync(Request("Once upon a time", 90, 1f))).Text();
        var text = await TextAsync(page);
        var prefix = string.Concat(cells.Take(k).Select(c => c.Text));
        Assert.That(text, Does.StartWith(string.Concat((await _hub.GenerateAsync(Request("Once upon a time", 90, 1f))).Tokens().Take(k).Select(t => t.Text))));
        Assert.That(unchanged, Does.StartWith(text[..prefix.Length]), "text before the move is the unchanged answer's");
        Assert.That(text, Is.Not.EqualTo(unchanged), "the text after the move follows the new strength");
        Assert.That(await TextAsync(page, "plain"), Is.EqualTo(_world.Expected("Once upon a time", 90)), "the unsteered answer beside it is not touched by the slider");
        Assert.That(errors, Is.Empty, "console errors");

        await page.HoverAsync($"#steeredMap .tok:nth-child({k + 1})");
        var shot = Path.Combine(TestContext.CurrentContext.WorkDirectory, "chat-page.png");
        await page.ScreenshotAsync(shot, new ScreenshotOptions { FullPage = true });
        TestContext.AddTestAttachment(shot, "The chat page after a slider move mid-answer, with the unsteered answer beside it");
        await page.CloseAsync();
    }

    [Test, Order(3)]
    public async Task CompareModeShowsTwoDifferentAnswersForTheSamePromptAndSeed()
    {
        var (page, errors) = await OpenAsync();
        await SetAsync(page, Slider("happy"), "3");
        await SetAsync(page, "#maxTokens", "24");
        await SetAsync(page, "#pace", "0");
        await page.ClickAsync("#compare");
        await SendAsync(page, "Lily had a little dog");
        await WaitFinishedAsync(page);
        var steered = await TextAsync(page);
        var plain = await TextAsync(page, "plain");
        Assert.That(steered, Is.EqualTo(_world.Expected("Lily had a little dog", 24, Happy(3f))));
        Assert.That(plain, Is.EqualTo(_world.Expected("Lily had a little dog", 24)));
        Assert.That(steered, Is.Not.EqualTo(plain));
        Assert.That(await page.EvaluateExpressionAsync<bool>("!document.getElementById('plainAnswer').hidden"), Is.True);
        Assert.That((await CellsAsync(page, "plain")).All(c => c.Applied.Length == 0), Is.True, "the unsteered map has no strengths");
        Assert.That(errors, Is.Empty, "console errors");
        await page.CloseAsync();
    }

    [Test, Order(4)]
    public async Task BadInputIsShownOnThePage()
    {
        using var rest = new ServerClient(_server.Address);
        async Task Put(string name, JsonObject spec)
        {
            var (status, body) = await rest.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/v1/steering/presets/{name}") { Content = ServerClient.Json(spec) });
            Assert.That(status, Is.AnyOf(200, 201), body?.ToJsonString());
        }
        await Put("loud", new JsonObject { ["model"] = "stories260K", ["vectors"] = new JsonArray(new JsonObject { ["id"] = "happy", ["strength"] = 20 }) });
        await Put("elsewhere", new JsonObject { ["model"] = "llama-3-8b", ["vectors"] = new JsonArray(new JsonObject { ["id"] = "happy", ["strength"] = 1 }) });
        var (page, errors) = await OpenAsync();

        async Task<string> ErrorAsync()
        {
            await page.WaitForSelectorAsync("#error:not([hidden])", new WaitForSelectorOptions { Timeout = 15_000 });
            var text = await page.EvaluateExpressionAsync<string>("document.getElementById('error').textContent");
            await page.EvaluateExpressionAsync("document.getElementById('error').hidden = true");
            return text;
        }

        await page.SelectAsync("#presetList", "loud");
        await page.ClickAsync("#presetLoad");
        Assert.That(await ErrorAsync(), Is.EqualTo("Preset 'loud' sets vector 'happy' to 20, outside the slider's range -8..8."));
        await page.SelectAsync("#presetList", "elsewhere");
        await page.ClickAsync("#presetLoad");
        Assert.That(await ErrorAsync(), Is.EqualTo("Preset 'elsewhere' was saved for model 'llama-3-8b'; this server serves 'stories260K'."));

        await SetAsync(page, $".vector[data-name='happy'] .layers", "9");
        await SendAsync(page, "Once upon a time");
        Assert.That(await ErrorAsync(), Does.Contain("layers").And.Contain("9"));

        // A good preset saved from the page loads back into the sliders.
        await SetAsync(page, $".vector[data-name='happy'] .layers", "1-4");
        await SetAsync(page, Slider("happy"), "2.5");
        await page.TypeAsync("#presetName", "mine");
        await page.ClickAsync("#presetSave");
        await page.WaitForFunctionAsync("() => document.body.dataset.status === 'saved preset mine'");
        await SetAsync(page, Slider("happy"), "0");
        await page.ClickAsync("#presetLoad");
        await page.WaitForFunctionAsync($"() => document.querySelector(\"{Slider("happy")}\").value === '2.5'");
        Assert.That(errors, Is.Empty, "console errors");
        await page.CloseAsync();
    }

    [Test, Order(5)]
    public async Task UnderClasTheMapShowsAStrengthThatVariesTokenByToken()
    {
        var (page, errors) = await OpenAsync();
        await SetAsync(page, Slider("happy"), "2");
        await page.ClickAsync(".vector[data-name='happy'] .clas");
        await SetAsync(page, "#maxTokens", "48");
        await SetAsync(page, "#pace", "0");
        await SendAsync(page, "Once upon a time");
        await WaitFinishedAsync(page);

        var request = Request("Once upon a time", 48, 2f);
        request.Vectors[0].Clas = true;
        var expected = (await _hub.GenerateAsync(request)).Tokens();
        var cells = await CellsAsync(page);
        Assert.That(cells.Select(c => c.Text), Is.EqualTo(expected.Select(t => t.Text == "" ? "∅" : t.Text.Replace("\n", "⏎"))));
        Assert.That(cells.Select(c => c.Applied[0]), Is.EqualTo(expected.Select(t => t.Applied[0])), "the map shows the CLAS strength the hub reports");
        Assert.That(cells.Select(c => c.Applied[0]).Distinct().Count(), Is.GreaterThan(3), "CLAS varies the strength per token");
        Assert.That(errors, Is.Empty, "console errors");

        // The same question again with the unsteered answer beside it, for the picture.
        await page.ClickAsync("#compare");
        await SendAsync(page, "Once upon a time");
        await WaitFinishedAsync(page, 2);
        Assert.That(await TextAsync(page), Is.Not.EqualTo(await TextAsync(page, "plain")));
        await page.HoverAsync($"#steeredMap .tok:nth-child(6)");
        Assert.That(await page.EvaluateExpressionAsync<string>("document.getElementById('steeredDetail').textContent"),
            Does.StartWith("#5 ").And.Contain("applied "), "pointing at a token shows its numbers");
        var shot = Path.Combine(TestContext.CurrentContext.WorkDirectory, "chat-page-clas.png");
        await page.ScreenshotAsync(shot, new ScreenshotOptions { FullPage = true });
        TestContext.AddTestAttachment(shot, "The chat page with CLAS: the token map coloured by the strength applied at each token");
        if (Environment.GetEnvironmentVariable("LLAMASTEER_SCREENSHOT_DIR") is { Length: > 0 } keep) File.Copy(shot, Path.Combine(keep, "chat-page.png"), overwrite: true);
        await page.CloseAsync();
    }
}
