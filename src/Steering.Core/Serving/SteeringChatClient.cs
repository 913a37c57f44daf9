using System.Runtime.CompilerServices;
using LlamaSteer.Chat;
using LlamaSteer.Generation;
using LlamaSteer.Sampling;
using Microsoft.Extensions.AI;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace LlamaSteer.Serving;

/// <summary>
/// Microsoft.Extensions.AI's <see cref="IChatClient"/> over a <see cref="ContinuousBatchScheduler"/>, for in-process
/// use: messages are formatted with the model's chat template (chatml when it has none), options map onto sampling
/// (temperature, top-p, top-k, seed, stop sequences, penalties, max output tokens), and steering is a typed option
/// (<see cref="SteeringChatOptions.WithSteering"/>). Many calls may run at once; they share the scheduler's batch.
/// Does not own the scheduler.
/// </summary>
public sealed class SteeringChatClient(ContinuousBatchScheduler scheduler, string? modelId = null) : IChatClient
{
    private readonly ChatClientMetadata _metadata = new("llamasteer", defaultModelId: modelId ?? Path.GetFileNameWithoutExtension(scheduler.Model.Info.Path));

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = await scheduler.GenerateAsync(Request(messages, options), cancellationToken).ConfigureAwait(false);
        return new ChatResponse(new AiChatMessage(ChatRole.Assistant, result.Text))
        {
            FinishReason = Finish(result.Stats.StopReason),
            ModelId = _metadata.DefaultModelId,
            Usage = Usage(result.Stats),
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<AiChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var sequence = scheduler.Submit(Request(messages, options), cancellationToken);
        var id = Guid.NewGuid().ToString("N");
        await foreach (var t in sequence.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            if (t.Piece.Text.Length > 0)
                yield return new ChatResponseUpdate(ChatRole.Assistant, t.Piece.Text) { ResponseId = id, ModelId = _metadata.DefaultModelId };
        var result = await sequence.Completion.ConfigureAwait(false);
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(Usage(result.Stats))])
        {
            ResponseId = id,
            ModelId = _metadata.DefaultModelId,
            FinishReason = Finish(result.Stats.StopReason),
        };
    }

    private ServingRequest Request(IEnumerable<AiChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var chat = messages.Select(m => new Chat.ChatMessage(m.Role.Value, m.Text)).ToList();
        var prompt = ChatFormatter.FormatOrChatml(scheduler.Model, chat);
        var defaults = new SamplingOptions();
        var generation = new GenerationOptions
        {
            MaxTokens = options?.MaxOutputTokens ?? 512,
            ParseSpecialTokens = true,
            StopStrings = options?.StopSequences?.ToList() ?? [],
            Plan = options.GetSteering(),
            Sampling = new SamplingOptions
            {
                Temperature = options?.Temperature ?? defaults.Temperature,
                TopP = options?.TopP ?? defaults.TopP,
                TopK = options?.TopK ?? defaults.TopK,
                MinP = defaults.MinP,
                FrequencyPenalty = options?.FrequencyPenalty ?? 0,
                PresencePenalty = options?.PresencePenalty ?? 0,
                Seed = options?.Seed is { } seed ? unchecked((uint)seed) : null,
            },
        };
        return new ServingRequest(prompt, generation);
    }

    private static ChatFinishReason Finish(StopReason reason) =>
        reason is StopReason.MaxTokens or StopReason.ContextFull ? ChatFinishReason.Length : ChatFinishReason.Stop;

    private static UsageDetails Usage(GenerationStats stats) => new()
    {
        InputTokenCount = stats.PromptTokens,
        OutputTokenCount = stats.GeneratedTokens,
        TotalTokenCount = stats.PromptTokens + stats.GeneratedTokens,
    };

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceType == typeof(ContinuousBatchScheduler) ? scheduler
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
    }
}
