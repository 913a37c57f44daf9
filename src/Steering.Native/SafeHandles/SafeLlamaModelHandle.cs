using System.Runtime.InteropServices;
using System.Text;
using LlamaSteer.Native.Interop;
using LlamaSteer.Native.Runtime;

namespace LlamaSteer.Native.SafeHandles;

/// <summary>
/// Owns a <c>llama_model</c>. Contexts add a reference, so the model outlives them. The model is
/// read-only after load: its members may be called from several threads at once.
/// </summary>
public sealed unsafe class SafeLlamaModelHandle : OwnedHandle
{
    private IntPtr _vocab;

    private SafeLlamaModelHandle() { }


    /// <summary>Loads a GGUF model. The caller has validated the file (see LlamaSteer.Models.ModelFileCheck).</summary>
    /// <param name="progress">Called with 0..1; return false to cancel the load.</param>
    /// <exception cref="NativeCallException">llama.cpp could not load the model, or the load was cancelled.</exception>
    public static SafeLlamaModelHandle Load(string path, ModelLoadSettings settings, Func<float, bool>? progress = null)
    {
        NativeRuntime.EnsureLoaded();
        var p = LlamaNative.ModelDefaultParams();
        p.NGpuLayers = settings.GpuLayers;
        p.LoadMode = settings.UseMmap ? 1 : 0;
        p.CheckTensors = settings.CheckTensors ? (byte)1 : (byte)0;
        p.VocabOnly = settings.VocabOnly ? (byte)1 : (byte)0;
        var gc = progress is null ? default : GCHandle.Alloc(progress);
        try
        {
            if (progress is not null)
            {
                p.ProgressCallback = (IntPtr)(delegate* unmanaged<float, IntPtr, byte>)&OnProgress;
                p.ProgressCallbackUserData = GCHandle.ToIntPtr(gc);
            }
            NativeLog.ClearRecent();
            var raw = LlamaNative.ModelLoadFromFile(path, p);
            if (raw == IntPtr.Zero) throw NativeCallException.From($"llama.cpp could not load the model {path}.");
            var h = new SafeLlamaModelHandle();
            h.SetHandle(raw);
            h._vocab = LlamaNative.ModelGetVocab(raw);
            return h;
        }
        finally
        {
            if (gc.IsAllocated) gc.Free();
        }
    }

    [UnmanagedCallersOnly]
    private static byte OnProgress(float progress, IntPtr userData)
    {
        try
        {
            var callback = (Func<float, bool>)GCHandle.FromIntPtr(userData).Target!;
            return callback(progress) ? (byte)1 : (byte)0;
        }
        catch
        {
            return 0;
        }
    }

    protected override bool ReleaseHandle()
    {
        LlamaNative.ModelFree(handle);
        return true;
    }

    private IntPtr Raw => Live;

    private IntPtr Vocab => Live == IntPtr.Zero ? IntPtr.Zero : _vocab;

    public int EmbeddingSize => LlamaNative.ModelNEmbd(Raw);
    public int LayerCount => LlamaNative.ModelNLayer(Raw);
    public int HeadCount => LlamaNative.ModelNHead(Raw);
    public int KvHeadCount => LlamaNative.ModelNHeadKv(Raw);
    public int TrainedContextLength => LlamaNative.ModelNCtxTrain(Raw);
    public ulong ParameterCount => LlamaNative.ModelNParams(Raw);
    public ulong SizeBytes => LlamaNative.ModelSize(Raw);
    public bool HasEncoder => LlamaNative.ModelHasEncoder(Raw) != 0;
    public bool IsRecurrent => LlamaNative.ModelIsRecurrent(Raw) != 0;

    public string Description
    {
        get
        {
            var buf = stackalloc byte[256];
            var n = LlamaNative.ModelDesc(Raw, buf, 256);
            return n <= 0 ? "" : Encoding.UTF8.GetString(buf, Math.Min(n, 255));
        }
    }

    /// <summary>A metadata value as a string, or null when the key is absent (arrays are not supported by llama.cpp here).</summary>
    public string? MetadataValue(string key)
    {
        var n = LlamaNative.ModelMetaValStr(Raw, key, null, 0);
        if (n < 0) return null;
        var buf = new byte[n + 1];
        fixed (byte* b = buf) LlamaNative.ModelMetaValStr(Raw, key, b, (nuint)buf.Length);
        return Encoding.UTF8.GetString(buf, 0, n);
    }

    /// <summary>The model's own chat template (tokenizer.chat_template), or null.</summary>
    public string? ChatTemplate
    {
        get
        {
            var t = LlamaNative.ModelChatTemplate(Raw, null);
            return t == null ? null : NativeRuntime.Utf8(t);
        }
    }

    // ---- vocabulary ----

    public int VocabularySize => LlamaNative.VocabNTokens(Vocab);
    public int BosToken => LlamaNative.VocabBos(Vocab);
    public int EosToken => LlamaNative.VocabEos(Vocab);
    public bool AddsBos => LlamaNative.VocabGetAddBos(Vocab) != 0;
    public bool IsEndOfGeneration(int token) => LlamaNative.VocabIsEog(Vocab, token) != 0;

    /// <summary>Tokenizes UTF-8 text.</summary>
    /// <param name="addSpecial">Add BOS/EOS as the model's tokenizer configuration asks.</param>
    /// <param name="parseSpecial">Turn special-token text (e.g. "&lt;|im_start|&gt;") into those tokens.</param>
    public int[] Tokenize(string text, bool addSpecial, bool parseSpecial)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var capacity = bytes.Length + 8;
        while (true)
        {
            var tokens = new int[capacity];
            int n;
            fixed (byte* t = bytes)
            fixed (int* o = tokens)
                n = LlamaNative.Tokenize(Vocab, t, bytes.Length, o, capacity, addSpecial ? (byte)1 : (byte)0, parseSpecial ? (byte)1 : (byte)0);
            if (n >= 0) return tokens.AsSpan(0, n).ToArray();
            if (n == int.MinValue) throw new NativeCallException("llama_tokenize overflowed: the text is too long to tokenize.");
            capacity = -n;
        }
    }

    /// <summary>The bytes a token stands for (may be part of a UTF-8 character).</summary>
    public byte[] TokenBytes(int token, bool special = false)
    {
        Span<byte> small = stackalloc byte[64];
        int n;
        fixed (byte* b = small) n = LlamaNative.TokenToPiece(Vocab, token, b, small.Length, 0, special ? (byte)1 : (byte)0);
        if (n >= 0) return small[..n].ToArray();
        var buf = new byte[-n];
        fixed (byte* b = buf) n = LlamaNative.TokenToPiece(Vocab, token, b, buf.Length, 0, special ? (byte)1 : (byte)0);
        return buf.AsSpan(0, Math.Max(n, 0)).ToArray();
    }

    /// <summary>Turns tokens back into text.</summary>
    public string Detokenize(ReadOnlySpan<int> tokens, bool removeSpecial = false, bool unparseSpecial = false)
    {
        var capacity = Math.Max(16, tokens.Length * 8);
        while (true)
        {
            var buf = new byte[capacity];
            int n;
            fixed (int* t = tokens)
            fixed (byte* b = buf)
                n = LlamaNative.Detokenize(Vocab, t, tokens.Length, b, capacity, removeSpecial ? (byte)1 : (byte)0, unparseSpecial ? (byte)1 : (byte)0);
            if (n >= 0) return Encoding.UTF8.GetString(buf, 0, n);
            capacity = -n;
        }
    }

    // GGML_TYPE_F32 (enum ggml_type in ggml.h) and LLAMA_FLASH_ATTN_TYPE_DISABLED (enum llama_flash_attn_type in llama.h).
    private const int GgmlTypeF32 = 0;
    private const int FlashAttentionDisabled = 0;

    /// <summary>Creates a context on this model; the context keeps the model alive.</summary>
    /// <exception cref="NativeCallException">llama.cpp refused the parameters (e.g. out of memory).</exception>
    public SafeLlamaContextHandle CreateContext(ContextSettings settings)
    {
        var p = LlamaNative.ContextDefaultParams();
        p.NCtx = settings.ContextSize;
        p.NBatch = settings.BatchSize;
        p.NUbatch = settings.MicroBatchSize;
        p.NSeqMax = settings.MaxSequences;
        p.NThreads = settings.Threads;
        p.NThreadsBatch = settings.BatchThreads;
        p.KvUnified = settings.UnifiedKvCache ? (byte)1 : (byte)0;
        p.CbEval = settings.EvalCallback;
        p.CbEvalUserData = settings.EvalCallbackUserData;
        if (settings.ExactAttention)
        {
            p.TypeK = p.TypeV = GgmlTypeF32;
            p.FlashAttnType = FlashAttentionDisabled;
        }
        p.NoPerf = 1;
        NativeLog.ClearRecent();
        var raw = LlamaNative.InitFromModel(Raw, p);
        if (raw == IntPtr.Zero) throw NativeCallException.From("llama.cpp could not create a context.");
        return new SafeLlamaContextHandle(raw, this);
    }
}
