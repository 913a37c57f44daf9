namespace LlamaSteer.Native.Interop;

/// <summary>Logical library names used by the imports; <see cref="Runtime.NativeRuntime"/> maps them to files.</summary>
internal static class LibraryNames
{
    public const string Llama = "llama";
    public const string Ggml = "ggml";
    public const string GgmlBase = "ggml-base";
}
