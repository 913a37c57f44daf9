using LlamaSteer.Native.Graphs;
using LlamaSteer.Training.Parameters;

namespace LlamaSteer.Training.Graph;

/// <summary>
/// Builds the llama-family forward pass of one token sequence as a ggml graph, one method per block, with the tensor
/// names llama.cpp gives them (<c>attn_norm-N</c>, <c>kq-N</c>, <c>ffn_out-N</c>, <c>l_out-N</c>, <c>result_output</c>),
/// so a comparison that fails points at a layer. No KV cache and no flash attention (neither has a backward): attention
/// is mul_mat, causal soft_max and mul_mat; SwiGLU is the split form. Stateless apart from the step it builds into.
/// </summary>
public sealed class LlamaGraphBuilder(ModelWeights weights, GraphStep step)
{
    private readonly LlamaHyperparameters _hp = weights.Hyperparameters;
    private readonly SafeGgmlContextHandle _g = step.Context;

    /// <summary>Trainable replacements of some block weights (representation tuning), or null for the frozen model.</summary>
    public IWeightEdit? WeightEdit { get; private init; }

    /// <summary>A builder into the same step whose projections go through <paramref name="edit"/>.</summary>
    public LlamaGraphBuilder With(IWeightEdit edit) => new(weights, step) { WeightEdit = edit };

    /// <summary>The forward pass of <paramref name="tokens"/> (positions 0..n-1), with <paramref name="edit"/> applied at each layer output.</summary>
    /// <returns>The logits [n_vocab, n] and every layer's output.</returns>
    public ForwardPass Build(int[] tokens, IResidualEdit? edit = null, string sequenceTag = "") =>
        Build(tokens, new Dictionary<int, GgmlTensorRef>(), edit, sequenceTag);

    /// <summary>
    /// The forward pass where the positions in <paramref name="inputRows"/> take that input embedding ([n_embd], a
    /// steering token: a trainable parameter or a constant) instead of their token's row; their entries in
    /// <paramref name="tokens"/> may be -1. The rows enter through a mask and a one-hot product (ops with a backward),
    /// so gradients reach them.
    /// </summary>
    public ForwardPass Build(int[] tokens, IReadOnlyDictionary<int, GgmlTensorRef> inputRows, IResidualEdit? edit = null, string sequenceTag = "")
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(inputRows);
        if (tokens.Length == 0) throw new ArgumentException("The sequence is empty.", nameof(tokens));
        if (tokens.Where((t, i) => !inputRows.ContainsKey(i)).Any(t => (uint)t >= (uint)weights.VocabularySize))
            throw new ArgumentException($"A token is outside the vocabulary of {weights.VocabularySize}.", nameof(tokens));
        foreach (var (position, row) in inputRows)
            if ((uint)position >= (uint)tokens.Length || row.ElementCount != _hp.EmbeddingSize)
                throw new ArgumentException($"An input row at position {position} of {tokens.Length} must hold n_embd {_hp.EmbeddingSize} values.", nameof(inputRows));
        var n = tokens.Length;
        var lookup = tokens.Select((t, i) => inputRows.ContainsKey(i) ? 0 : t).ToArray();
        var ids = step.Input(SafeGgmlContextHandle.I32, [n], $"inp_tokens{sequenceTag}", t => t.Write(lookup));
        var positions = step.Input(SafeGgmlContextHandle.I32, [n], $"inp_pos{sequenceTag}", t => t.Write(Enumerable.Range(0, n).ToArray()));
        var mask = step.Input(SafeGgmlContextHandle.F32, [n, n], $"kq_mask{sequenceTag}", t => t.Write(CausalMask(n)));

        var x = Embed(ids);
        if (inputRows.Count > 0) x = SubstituteRows(x, inputRows, n, sequenceTag);
        var layerOutputs = new GgmlTensorRef[_hp.LayerCount];
        for (var il = 0; il < _hp.LayerCount; il++)
        {
            x = Layer(il, x, positions, mask, n, edit);
            layerOutputs[il] = x;
        }
        return new ForwardPass(OutputHead(x), layerOutputs, n);
    }

    /// <summary>x with column p replaced by inputRows[p]: x ⊙ keep + Σ repeat(row) ⊙ onehot(p).</summary>
    private GgmlTensorRef SubstituteRows(GgmlTensorRef x, IReadOnlyDictionary<int, GgmlTensorRef> inputRows, int n, string tag)
    {
        var keep = Enumerable.Repeat(1f, n).ToArray();
        foreach (var p in inputRows.Keys) keep[p] = 0f;
        var result = _g.Mul(x, step.Constant($"inp_keep{tag}", keep, 1, n));
        foreach (var (p, row) in inputRows)
        {
            var onehot = new float[n];
            onehot[p] = 1f;
            result = _g.Add(result, _g.Mul(_g.Repeat(row, x), step.Constant($"inp_at{p}{tag}", onehot, 1, n)));
        }
        return result.Named($"inp_embd_steered{tag}");
    }

    /// <summary>Token embedding lookup: [n_embd, n].</summary>
    public GgmlTensorRef Embed(GgmlTensorRef ids) => _g.GetRows(weights.TokenEmbedding, ids).Named("inp_embd");

    /// <summary>One transformer block: attention and feed-forward, each with its residual, then the edit at <c>l_out-N</c>.</summary>
    public GgmlTensorRef Layer(int il, GgmlTensorRef x, GgmlTensorRef positions, GgmlTensorRef mask, int n, IResidualEdit? edit)
    {
        var ffnInput = _g.Add(x, Attention(il, x, positions, mask, n)).Named($"ffn_inp-{il}");
        var output = _g.Add(ffnInput, FeedForward(il, ffnInput));
        if (edit is not null) output = edit.Apply(step, il, output);
        return output.Named($"l_out-{il}");
    }

    /// <summary>RMS norm, q/k/v projections (with biases when present), RoPE, causal grouped-query attention, output projection.</summary>
    public GgmlTensorRef Attention(int il, GgmlTensorRef x, GgmlTensorRef positions, GgmlTensorRef mask, int n)
    {
        var w = weights.Layers[il];
        var hd = _hp.HeadSize;
        var h = _g.Mul(_g.RmsNorm(x, _hp.RmsEpsilon), w.AttentionNorm).Named($"attn_norm-{il}");
        var q = _g.Reshape(Project(il, BlockTensors.Query, w.Query, w.QueryBias, h).Named($"Qcur-{il}"), hd, _hp.HeadCount, n);
        var k = _g.Reshape(Project(il, BlockTensors.Key, w.Key, w.KeyBias, h).Named($"Kcur-{il}"), hd, _hp.KvHeadCount, n);
        var v = _g.Reshape(Project(il, BlockTensors.Value, w.Value, w.ValueBias, h).Named($"Vcur-{il}"), hd, _hp.KvHeadCount, n);
        q = Rope(q, positions);
        k = Rope(k, positions);

        var qh = _g.Permute(q, 0, 2, 1, 3);                       // [hd, n, heads]
        var kh = _g.Cont(_g.Permute(k, 0, 2, 1, 3));              // [hd, n, kv heads]
        var kq = _g.MulMat(kh, qh).Named($"kq-{il}");             // [n_k, n_q, heads]; K broadcast over a group's heads
        kq = _g.SoftMax(kq, mask, 1f / MathF.Sqrt(hd)).Named($"kq_soft_max-{il}");
        var vt = _g.Cont(_g.Permute(v, 1, 2, 0, 3));              // [n, hd, kv heads]
        var o = _g.MulMat(vt, kq);                                // [hd, n_q, heads]
        o = _g.Cont(_g.Permute(o, 0, 2, 1, 3));                   // [hd, heads, n]
        o = _g.Reshape(o, hd * _hp.HeadCount, n).Named($"kqv_out-{il}");
        return Project(il, BlockTensors.AttentionOutput, w.AttentionOutput, w.AttentionOutputBias, o).Named($"attn_out-{il}");
    }

    /// <summary>RMS norm, then down(silu(gate(h)) * up(h)).</summary>
    public GgmlTensorRef FeedForward(int il, GgmlTensorRef x)
    {
        var w = weights.Layers[il];
        var h = _g.Mul(_g.RmsNorm(x, _hp.RmsEpsilon), w.FeedForwardNorm).Named($"ffn_norm-{il}");
        var gated = _g.SwigluSplit(Project(il, BlockTensors.Gate, w.Gate, default, h), Project(il, BlockTensors.Up, w.Up, default, h)).Named($"ffn_swiglu-{il}");
        return Project(il, BlockTensors.Down, w.Down, w.DownBias, gated).Named($"ffn_out-{il}");
    }

    /// <summary>Final RMS norm and the output projection: logits [n_vocab, n].</summary>
    public GgmlTensorRef OutputHead(GgmlTensorRef x)
    {
        var h = _g.Mul(_g.RmsNorm(x, _hp.RmsEpsilon), weights.OutputNorm).Named("result_norm");
        var logits = _g.MulMat(weights.Output, h);
        return (weights.OutputBias.IsNull ? logits : _g.Add(logits, weights.OutputBias)).Named("result_output");
    }

    private GgmlTensorRef Project(int il, string tensor, GgmlTensorRef weight, GgmlTensorRef bias, GgmlTensorRef x)
    {
        var edited = WeightEdit?.Project(step, il, tensor, weight, x) ?? default;
        var y = edited.IsNull ? _g.MulMat(weight, x) : edited;
        return bias.IsNull ? y : _g.Add(y, bias);
    }

    // llama.cpp's defaults without rope scaling: YaRN off (ext_factor 0), attention factor 1, beta_fast 32, beta_slow 1.
    private GgmlTensorRef Rope(GgmlTensorRef t, GgmlTensorRef positions) =>
        _g.Rope(t, positions, weights.RopeFactors, _hp.RopeDimensions, _hp.RopeMode, _hp.TrainedContextLength, _hp.RopeFreqBase, _hp.RopeFreqScale, 0f, 1f, 32f, 1f);

    private static float[] CausalMask(int n)
    {
        var m = new float[n * n];
        for (var r = 0; r < n; r++)
            for (var c = r + 1; c < n; c++) m[r * n + c] = float.NegativeInfinity;
        return m;
    }

    /// <summary>A generous node budget for one sequence's forward and backward pass on a model of <paramref name="layers"/> layers.</summary>
    public static int NodeBudget(int layers, int sequences) => 1024 + sequences * layers * 160;
}

/// <summary>The result of <see cref="LlamaGraphBuilder.Build(int[], IResidualEdit?, string)"/>: logits [n_vocab, tokens] and each layer's output (after its edit).</summary>
public sealed record ForwardPass(GgmlTensorRef Logits, IReadOnlyList<GgmlTensorRef> LayerOutputs, int TokenCount);
