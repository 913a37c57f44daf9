namespace LlamaSteer.Native.Runtime;

/// <summary>The llama.cpp runtime could not be found, loaded, or is not the pinned release.</summary>
public sealed class NativeRuntimeException(string message, Exception? inner = null) : Exception(message, inner);
