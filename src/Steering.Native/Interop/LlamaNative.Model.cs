using System.Runtime.InteropServices;

namespace LlamaSteer.Native.Interop;

internal static unsafe partial class LlamaNative
{
    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_model_default_params")]
    public static partial LlamaModelParams ModelDefaultParams();

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_model_load_from_file", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr ModelLoadFromFile(string path, LlamaModelParams @params);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_model_free")]
    public static partial void ModelFree(IntPtr model);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_model_get_vocab")]
    public static partial IntPtr ModelGetVocab(IntPtr model);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_model_n_ctx_train")]
    public static partial int ModelNCtxTrain(IntPtr model);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_model_n_embd")]
    public static partial int ModelNEmbd(IntPtr model);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_model_n_layer")]
    public static partial int ModelNLayer(IntPtr model);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_model_n_head")]
    public static partial int ModelNHead(IntPtr model);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_model_n_head_kv")]
    public static partial int ModelNHeadKv(IntPtr model);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_model_n_params")]
    public static partial ulong ModelNParams(IntPtr model);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_model_size")]
    public static partial ulong ModelSize(IntPtr model);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_model_desc")]
    public static partial int ModelDesc(IntPtr model, byte* buf, nuint bufSize);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_model_meta_val_str", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ModelMetaValStr(IntPtr model, string key, byte* buf, nuint bufSize);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_model_chat_template")]
    public static partial byte* ModelChatTemplate(IntPtr model, byte* name);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_model_has_encoder")]
    public static partial byte ModelHasEncoder(IntPtr model);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_model_is_recurrent")]
    public static partial byte ModelIsRecurrent(IntPtr model);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_model_quantize_default_params")]
    public static partial LlamaModelQuantizeParams ModelQuantizeDefaultParams();

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_model_quantize", StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint ModelQuantize(string input, string output, LlamaModelQuantizeParams* @params);
}
