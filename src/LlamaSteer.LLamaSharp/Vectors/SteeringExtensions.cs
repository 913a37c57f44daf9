using LLama;
using LLama.Abstractions;
using LLama.Batched;
using LLama.Native;

namespace LlamaSteer.LLamaSharp;

/// <summary>
/// Puts <see cref="ControlVectors"/> on a LLamaSharp context and takes them off again. The vector is context-wide, as
/// llama.cpp applies control vectors: every sequence and every token decoded after the call is steered, until
/// <see cref="ClearControlVectors(LLamaContext)"/> or the next apply. Like every other call on a context, not to be
/// made while the context decodes on another thread.
/// </summary>
public static class SteeringExtensions
{
    /// <summary>Steers everything <paramref name="context"/> decodes from now on with <paramref name="vectors"/>.</summary>
    /// <exception cref="ArgumentException">The vectors were built for a model of another n_embd or layer count.</exception>
    /// <exception cref="InvalidOperationException">llama.cpp refused the buffer.</exception>
    public static void ApplyControlVectors(this LLamaContext context, ControlVectors vectors)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(vectors);
        Apply(context.NativeHandle, vectors);
    }

    /// <summary>Removes any control vector from <paramref name="context"/>; what it decodes next is unsteered.</summary>
    public static void ClearControlVectors(this LLamaContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Clear(context.NativeHandle);
    }

    /// <summary>Steers the context of a stateful executor (<see cref="InteractiveExecutor"/>, <see cref="InstructExecutor"/>).</summary>
    /// <exception cref="NotSupportedException">A <see cref="StatelessExecutor"/>, which makes a new context for every call: use an InteractiveExecutor or InstructExecutor, whose context lasts.</exception>
    /// <inheritdoc cref="ApplyControlVectors(LLamaContext, ControlVectors)"/>
    public static void ApplyControlVectors(this ILLamaExecutor executor, ControlVectors vectors)
    {
        ArgumentNullException.ThrowIfNull(executor);
        RefuseStateless(executor);
        executor.Context.ApplyControlVectors(vectors);
    }

    /// <summary>Removes any control vector from the executor's context.</summary>
    public static void ClearControlVectors(this ILLamaExecutor executor)
    {
        ArgumentNullException.ThrowIfNull(executor);
        RefuseStateless(executor);
        executor.Context.ClearControlVectors();
    }

    /// <summary>Steers every conversation of <paramref name="executor"/> (they share its one context).</summary>
    /// <inheritdoc cref="ApplyControlVectors(LLamaContext, ControlVectors)"/>
    public static void ApplyControlVectors(this BatchedExecutor executor, ControlVectors vectors)
    {
        ArgumentNullException.ThrowIfNull(executor);
        executor.Context.ApplyControlVectors(vectors);
    }

    /// <summary>Removes any control vector from the batched executor's context.</summary>
    public static void ClearControlVectors(this BatchedExecutor executor)
    {
        ArgumentNullException.ThrowIfNull(executor);
        executor.Context.ClearControlVectors();
    }

    internal static unsafe void Apply(SafeLLamaContextHandle context, ControlVectors vectors)
    {
        var model = context.ModelHandle;
        if (vectors.EmbeddingSize != model.EmbeddingSize || vectors.LayerCount != model.LayerCount)
            throw new ArgumentException($"These control vectors were built for a model with n_embd {vectors.EmbeddingSize} and {vectors.LayerCount} layers, but the context's model has n_embd {model.EmbeddingSize} and {model.LayerCount} layers.");
        var buffer = vectors.Buffer;
        if (buffer.Data.Length == 0)
        {
            Clear(context);
            return;
        }
        int rc;
        fixed (float* data = buffer.Data)
            rc = NativeApi.llama_set_adapter_cvec(context, data, (nuint)buffer.Data.Length, vectors.EmbeddingSize, buffer.FirstLayer, buffer.LastLayer);
        if (rc != 0) throw new InvalidOperationException($"llama.cpp refused the control vector (llama_set_adapter_cvec returned {rc}).");
    }

    internal static unsafe void Clear(SafeLLamaContextHandle context)
    {
        var rc = NativeApi.llama_set_adapter_cvec(context, null, 0, context.ModelHandle.EmbeddingSize, -1, -1);
        if (rc != 0) throw new InvalidOperationException($"llama.cpp refused to clear the control vector (llama_set_adapter_cvec returned {rc}).");
    }

    internal static void RefuseStateless(ILLamaExecutor executor)
    {
        if (executor is StatelessExecutor)
            throw new NotSupportedException("A StatelessExecutor makes a new context for every call, so a control vector put on its context would not last; use an InteractiveExecutor or InstructExecutor, whose context lasts.");
    }
}
