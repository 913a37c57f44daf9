using System.CommandLine;
using LlamaSteer.Chat;
using LlamaSteer.Generation;
using LlamaSteer.Sampling;

namespace LlamaSteer.Host.Cli;

/// <summary><c>llamasteer generate</c>: stream a continuation (or a chat reply) of a prompt.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var vectors = new VectorOptions();
        var tokens = new TokenOptions();
        var prompt = new Option<string>("--prompt", "-p") { Description = "Prompt text", Required = true };
        var chat = new Option<bool>("--chat") { Description = "Treat the prompt as a user message and apply the chat template" };
        var chatTemplate = new Option<string?>("--chat-template") { Description = "Built-in template name (chatml, llama3, gemma, ...) when the model has none" };
        var system = new Option<string?>("--system") { Description = "System message for --chat" };
        var maxTokens = new Option<int>("--max-tokens", "-n") { Description = "Most tokens to generate", DefaultValueFactory = _ => 128 };
        var temperature = new Option<float>("--temperature", "--temp") { Description = "Sampling temperature; 0 = greedy", DefaultValueFactory = _ => 0.8f };
        var topK = new Option<int>("--top-k") { Description = "Top-k filter; 0 = off", DefaultValueFactory = _ => 40 };
        var topP = new Option<float>("--top-p") { Description = "Top-p (nucleus) filter; 1 = off", DefaultValueFactory = _ => 0.95f };
        var minP = new Option<float>("--min-p") { Description = "Min-p filter; 0 = off", DefaultValueFactory = _ => 0.05f };
        var repeatPenalty = new Option<float>("--repeat-penalty") { Description = "Repetition penalty over the last 64 tokens; 1 = off", DefaultValueFactory = _ => 1.0f };
        var seed = new Option<uint?>("--seed", "-s") { Description = "Random seed (default: random)" };
        var stop = new Option<string[]>("--stop") { Description = "Stop before this text (repeatable)", AllowMultipleArgumentsPerToken = false };
        var context = new Option<int?>("--context", "-c") { Description = "Context length in tokens (default: the model's, at most 4096); at most the model's trained context unless --context-beyond-trained, and its KV cache must fit in 80% of the available memory" };
        var stats = new Option<bool>("--stats") { Description = "Print token counts and speed to stderr" };

        var command = new Command("generate", "Generate text from a prompt, streamed to stdout, optionally steered by control vectors");
        common.AddTo(command);
        vectors.AddTo(command);
        tokens.AddTo(command);
        foreach (var o in new Option[] { prompt, chat, chatTemplate, system, maxTokens, temperature, topK, topP, minP, repeatPenalty, seed, stop, context, stats })
            command.Options.Add(o);

        command.SetAction((parse, ct) => ErrorReporter.Report(async () =>
        {
            var options = new GenerationOptions
            {
                MaxTokens = parse.GetValue(maxTokens),
                StopStrings = parse.GetValue(stop) ?? [],
                Sampling = new SamplingOptions
                {
                    Temperature = parse.GetValue(temperature),
                    TopK = parse.GetValue(topK),
                    TopP = parse.GetValue(topP),
                    MinP = parse.GetValue(minP),
                    RepeatPenalty = parse.GetValue(repeatPenalty),
                    Seed = parse.GetValue(seed),
                },
            }.Validate();
            var text = parse.GetValue(prompt)!;
            if (text.Length == 0) throw new ArgumentException("The prompt is empty.");

            using var model = common.LoadModel(parse, ct);
            var contextSize = parse.GetValue(context);
            var plan = vectors.LoadPlan(parse, model, contextSize ?? model.Info.TrainedContextLength);
            var steeringTokens = tokens.Load(parse, model);
            options = options with { Plan = plan };
            await using var ctx = model.CreateContext(common.ContextOptions(parse, contextSize, hooks: !plan.IsStaticAdd));
            if (contextSize is { } asked && ctx.Size != asked)
                Console.Error.WriteLine($"llamasteer: note: llama.cpp sizes the context in steps of 256 tokens: --context {asked} holds {ctx.Size} tokens.");
            if (parse.GetValue(chat))
            {
                var messages = new List<ChatMessage>();
                if (parse.GetValue(system) is { } sys) messages.Add(new ChatMessage("system", sys));
                messages.Add(new ChatMessage("user", text));
                text = ChatFormatter.Format(model, messages, parse.GetValue(chatTemplate));
                options = options with { ParseSpecialTokens = true };
            }
            else
            {
                Console.Out.Write(text);
            }

            var generationStats = new GenerationStats();
            var stream = steeringTokens.Count == 0
                ? new TextGenerator(ctx).StreamAsync(text, options, generationStats, ct)
                : new TextGenerator(ctx).StreamAsync(Prompts.Prompt.WithTokens(steeringTokens, text), options, generationStats, ct);
            await foreach (var piece in stream)
            {
                Console.Out.Write(piece.Text);
                Console.Out.Flush();
            }
            Console.Out.WriteLine();
            if (parse.GetValue(stats))
                Console.Error.WriteLine(
                    $"prompt {generationStats.PromptTokens} tokens ({generationStats.PrefillTokensPerSecond:F1} tok/s), " +
                    $"generated {generationStats.GeneratedTokens} tokens ({generationStats.DecodeTokensPerSecond:F1} tok/s), " +
                    $"threads {ctx.Threads}, stop: {generationStats.StopReason}");
            return ErrorReporter.Ok;
        }));
        return command;
    }
}
