using System.Runtime.InteropServices;
using LlamaSteer.Native.Interop;
using LlamaSteer.Native.Runtime;

namespace LlamaSteer.Native.SafeHandles;

/// <summary>
/// Owns a llama.cpp sampler chain. Samplers added to the chain are owned by it. Not thread-safe;
/// a chain carries state (RNG, penalty history) for one sequence.
/// </summary>
public sealed unsafe class SafeLlamaSamplerHandle : OwnedHandle
{
    // The candidate array handed to the chain, reused across calls: a fresh one per token (n_vocab x 12
    // bytes, ~590 KB for a 49k vocabulary) landed on the large-object heap and forced a gen-2 collection
    // every few tokens, ~0.4 ms per sampled token in all.
    private LlamaTokenData[] _candidates = [];

    private SafeLlamaSamplerHandle() { }

    /// <summary>Creates an empty chain.</summary>
    public static SafeLlamaSamplerHandle CreateChain()
    {
        NativeRuntime.EnsureLoaded();
        var p = LlamaNative.SamplerChainDefaultParams();
        p.NoPerf = 1;
        var h = new SafeLlamaSamplerHandle();
        h.SetHandle(LlamaNative.SamplerChainInit(p));
        return h;
    }

    protected override bool ReleaseHandle()
    {
        LlamaNative.SamplerFree(handle);
        return true;
    }

    private IntPtr Raw => Live;

    private void Add(IntPtr sampler)
    {
        if (sampler == IntPtr.Zero) throw NativeCallException.From("llama.cpp could not create a sampler.");
        LlamaNative.SamplerChainAdd(Raw, sampler);
    }

    public void AddGreedy() => Add(LlamaNative.SamplerInitGreedy());
    public void AddDistribution(uint seed) => Add(LlamaNative.SamplerInitDist(seed));
    public void AddTopK(int k) => Add(LlamaNative.SamplerInitTopK(k));
    public void AddTopP(float p) => Add(LlamaNative.SamplerInitTopP(p, 1));
    public void AddMinP(float p) => Add(LlamaNative.SamplerInitMinP(p, 1));
    public void AddTemperature(float t) => Add(LlamaNative.SamplerInitTemp(t));
    public void AddPenalties(int vocabSize, int lastN, float repeat, float frequency, float presence) =>
        Add(LlamaNative.SamplerInitPenalties(vocabSize, lastN, repeat, frequency, presence));

    /// <summary>Chooses a token from logits (the chain's state is not advanced; call <see cref="Accept"/>).</summary>
    public int Choose(ReadOnlySpan<float> logits)
    {
        var n = logits.Length;
        if (_candidates.Length != n) _candidates = GC.AllocateUninitializedArray<LlamaTokenData>(n);
        var data = _candidates.AsSpan();
        for (var i = 0; i < n; i++) data[i] = new LlamaTokenData { Id = i, Logit = logits[i], P = 0 };
        fixed (LlamaTokenData* d = data)
        {
            var array = new LlamaTokenDataArray { Data = d, Size = (nuint)n, Selected = -1, Sorted = 0 };
            LlamaNative.SamplerApply(Raw, &array);
            if (array.Selected < 0 || array.Selected >= (long)array.Size) throw new NativeCallException("The sampler chain selected no token; it must end in greedy or dist.");
            return array.Data[array.Selected].Id;
        }
    }

    /// <summary>Tells the chain a token was emitted (penalty history, grammar state).</summary>
    public void Accept(int token) => LlamaNative.SamplerAccept(Raw, token);

    public void Reset() => LlamaNative.SamplerReset(Raw);
}
