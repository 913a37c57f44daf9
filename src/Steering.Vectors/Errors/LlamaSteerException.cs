namespace LlamaSteer.Errors;

/// <summary>Base of the errors LlamaSteer raises for problems a user can fix (bad files, bad options, too-long prompts).</summary>
public class LlamaSteerException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A model file is missing, malformed, of an unsupported architecture, or llama.cpp refused it.</summary>
public sealed class ModelLoadException(string message, Exception? inner = null) : LlamaSteerException(message, inner);

/// <summary>The tokens do not fit in the context (or in one batch).</summary>
public sealed class ContextOverflowException(string message) : LlamaSteerException(message);

/// <summary>llama.cpp reported a failure while decoding.</summary>
public sealed class DecodeException(string message, int code) : LlamaSteerException(message)
{
    /// <summary>The return code of <c>llama_decode</c>.</summary>
    public int Code { get; } = code;
}

/// <summary>A synthetic model cannot be built as asked: a shape that does not divide, a type it cannot use, or an unusable tokenizer donor.</summary>
public sealed class ModelSynthesisException(string message) : LlamaSteerException(message);

/// <summary>Layers were asked to go to a GPU, but no GPU device is available; the message says why (which backend misses what).</summary>
public sealed class GpuUnavailableException(string message) : LlamaSteerException(message);
