using System.Runtime.InteropServices;

namespace LlamaSteer.Native.Interop;

internal static unsafe partial class LlamaNative
{
    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_chat_apply_template")]
    public static partial int ChatApplyTemplate(byte* tmpl, LlamaChatMessage* chat, nuint nMsg, byte addAss, byte* buf, int length);
}
