using System.Runtime.InteropServices;

namespace LlamaSteer.Native.Interop;

// Blittable mirrors of the llama.cpp v0.5.0 structs the binding passes across the boundary.
// Field order, sizes and padding follow include/llama.h and ggml/include/ggml.h of that tag;
// NativeAbiTests compares every size and offset with the C compiler's. A C `bool` is a `byte`.

/// <summary>Mirror of <c>struct llama_model_params</c> (llama.h), 80 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaModelParams
{
    public IntPtr Devices;
    public IntPtr TensorBuftOverrides;
    public int NGpuLayers;
    public int SplitMode;
    public int LoadMode;
    public int LazyMode;
    public int MainGpu;
    public IntPtr TensorSplit;
    public IntPtr ProgressCallback;
    public IntPtr ProgressCallbackUserData;
    public IntPtr KvOverrides;
    public byte VocabOnly;
    public byte CheckTensors;
    public byte UseExtraBufts;
    public byte NoHost;
    public byte NoAlloc;
    public byte LoadMtp;
}

/// <summary>Mirror of <c>struct llama_context_params</c> (llama.h), 160 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaContextParams
{
    public uint NCtx;
    public uint NBatch;
    public uint NUbatch;
    public uint NSeqMax;
    public uint NRsSeq;
    public uint NOutputsMax;
    public uint NOutputsMaxPerSeq;
    public int NThreads;
    public int NThreadsBatch;
    public int CtxType;
    public int RopeScalingType;
    public int PoolingType;
    public int AttentionType;
    public int FlashAttnType;
    public float RopeFreqBase;
    public float RopeFreqScale;
    public float YarnExtFactor;
    public float YarnAttnFactor;
    public float YarnBetaFast;
    public float YarnBetaSlow;
    public uint YarnOrigCtx;
    public float DefragThold;
    public IntPtr CbEval;
    public IntPtr CbEvalUserData;
    public int TypeK;
    public int TypeV;
    public IntPtr AbortCallback;
    public IntPtr AbortCallbackData;
    public byte Embeddings;
    public byte OffloadKqv;
    public byte NoPerf;
    public byte OpOffload;
    public byte SwaFull;
    public byte KvUnified;
    public IntPtr Samplers;
    public nuint NSamplers;
    public IntPtr CtxOther;
}

/// <summary>Mirror of <c>struct llama_batch</c> (llama.h), 56 bytes. Arrays are owned by llama_batch_init.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LlamaBatch
{
    public int NTokens;
    public int* Token;
    public float* Embd;
    public int* Pos;
    public int* NSeqId;
    public int** SeqId;
    public sbyte* Logits;
}

/// <summary>Mirror of <c>llama_token_data</c> (llama.h), 12 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaTokenData
{
    public int Id;
    public float Logit;
    public float P;
}

/// <summary>Mirror of <c>llama_token_data_array</c> (llama.h), 32 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LlamaTokenDataArray
{
    public LlamaTokenData* Data;
    public nuint Size;
    public long Selected;
    public byte Sorted;
}

/// <summary>Mirror of <c>llama_chat_message</c> (llama.h), 16 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LlamaChatMessage
{
    public byte* Role;
    public byte* Content;
}

/// <summary>Mirror of <c>llama_sampler_chain_params</c> (llama.h), 1 byte.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaSamplerChainParams
{
    public byte NoPerf;
}

/// <summary>Mirror of <c>llama_model_quantize_params</c> (llama.h), 64 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaModelQuantizeParams
{
    public int NThread;
    public int FType;
    public int OutputTensorType;
    public int TokenEmbeddingType;
    public byte AllowRequantize;
    public byte QuantizeOutputTensor;
    public byte OnlyCopy;
    public byte Pure;
    public byte KeepSplit;
    public byte DryRun;
    public IntPtr Imatrix;
    public IntPtr KvOverrides;
    public IntPtr TtOverrides;
    public IntPtr PruneLayers;
    public nuint MaxBufSize;
}

/// <summary>
/// Mirror of <c>struct ggml_tensor</c> (ggml.h), 336 bytes. Read only inside the evaluation
/// callback, where the scheduler guarantees the tensor is alive; never stored.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct GgmlTensor
{
    public const int MaxDims = 4;
    public const int MaxName = 64;

    public int Type;
    public IntPtr Buffer;
    public fixed long Ne[MaxDims];
    public fixed ulong Nb[MaxDims];
    public int Op;
    public fixed int OpParams[16];
    public int Flags;
    public fixed ulong Src[10];
    public IntPtr ViewSrc;
    public nuint ViewOffs;
    public IntPtr Data;
    public fixed byte Name[MaxName];
    public IntPtr Extra;
    public fixed byte Padding[8];
}

/// <summary>Mirror of <c>struct gguf_init_params</c> (gguf.h), 16 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GgufInitParams
{
    public byte NoAlloc;
    public IntPtr Ctx;
}

/// <summary>Mirror of <c>struct ggml_init_params</c> (ggml.h), 24 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GgmlInitParams
{
    public nuint MemSize;
    public IntPtr MemBuffer;
    public byte NoAlloc;
}
