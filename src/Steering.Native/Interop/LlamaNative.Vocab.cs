using System.Runtime.InteropServices;

namespace LlamaSteer.Native.Interop;

internal static unsafe partial class LlamaNative
{
    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_vocab_n_tokens")]
    public static partial int VocabNTokens(IntPtr vocab);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_vocab_type")]
    public static partial int VocabType(IntPtr vocab);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_vocab_bos")]
    public static partial int VocabBos(IntPtr vocab);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_vocab_eos")]
    public static partial int VocabEos(IntPtr vocab);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_vocab_is_eog")]
    public static partial byte VocabIsEog(IntPtr vocab, int token);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_vocab_get_add_bos")]
    public static partial byte VocabGetAddBos(IntPtr vocab);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_tokenize")]
    public static partial int Tokenize(IntPtr vocab, byte* text, int textLen, int* tokens, int nTokensMax, byte addSpecial, byte parseSpecial);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_token_to_piece")]
    public static partial int TokenToPiece(IntPtr vocab, int token, byte* buf, int length, int lstrip, byte special);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_detokenize")]
    public static partial int Detokenize(IntPtr vocab, int* tokens, int nTokens, byte* text, int textLenMax, byte removeSpecial, byte unparseSpecial);
}
