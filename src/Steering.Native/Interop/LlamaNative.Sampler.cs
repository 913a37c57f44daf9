using System.Runtime.InteropServices;

namespace LlamaSteer.Native.Interop;

internal static unsafe partial class LlamaNative
{
    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_sampler_chain_default_params")]
    public static partial LlamaSamplerChainParams SamplerChainDefaultParams();

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_sampler_chain_init")]
    public static partial IntPtr SamplerChainInit(LlamaSamplerChainParams @params);

    /// <summary>Takes ownership of <paramref name="sampler"/>.</summary>
    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_sampler_chain_add")]
    public static partial void SamplerChainAdd(IntPtr chain, IntPtr sampler);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_sampler_free")]
    public static partial void SamplerFree(IntPtr sampler);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_sampler_reset")]
    public static partial void SamplerReset(IntPtr sampler);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_sampler_accept")]
    public static partial void SamplerAccept(IntPtr sampler, int token);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_sampler_apply")]
    public static partial void SamplerApply(IntPtr sampler, LlamaTokenDataArray* candidates);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_sampler_init_greedy")]
    public static partial IntPtr SamplerInitGreedy();

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_sampler_init_dist")]
    public static partial IntPtr SamplerInitDist(uint seed);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_sampler_init_top_k")]
    public static partial IntPtr SamplerInitTopK(int k);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_sampler_init_top_p")]
    public static partial IntPtr SamplerInitTopP(float p, nuint minKeep);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_sampler_init_min_p")]
    public static partial IntPtr SamplerInitMinP(float p, nuint minKeep);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_sampler_init_temp")]
    public static partial IntPtr SamplerInitTemp(float t);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_sampler_init_penalties")]
    public static partial IntPtr SamplerInitPenalties(int nVocab, int penaltyLastN, float penaltyRepeat, float penaltyFreq, float penaltyPresent);
}
