using System.Runtime.InteropServices;

namespace LlamaSteer.Native.Interop;

internal static partial class LlamaNative
{
    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_memory_clear")]
    public static partial void MemoryClear(IntPtr mem, byte data);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_memory_seq_rm")]
    public static partial byte MemorySeqRm(IntPtr mem, int seqId, int p0, int p1);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_memory_seq_cp")]
    public static partial void MemorySeqCp(IntPtr mem, int src, int dst, int p0, int p1);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_memory_seq_keep")]
    public static partial void MemorySeqKeep(IntPtr mem, int seqId);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_memory_seq_pos_max")]
    public static partial int MemorySeqPosMax(IntPtr mem, int seqId);
}
