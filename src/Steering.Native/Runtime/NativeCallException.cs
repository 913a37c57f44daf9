namespace LlamaSteer.Native.Runtime;

/// <summary>A llama.cpp call failed; the message includes what llama.cpp logged about it, when it did.</summary>
public sealed class NativeCallException(string message) : Exception(message)
{
    internal static NativeCallException From(string what)
    {
        var said = NativeLog.RecentProblems();
        return new NativeCallException(said.Length > 0 ? $"{what} llama.cpp said: {said}" : what);
    }
}
