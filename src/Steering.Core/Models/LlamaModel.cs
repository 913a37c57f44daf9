using LlamaSteer.Errors;
using LlamaSteer.Inference;
using LlamaSteer.Native.Runtime;
using LlamaSteer.Native.SafeHandles;

namespace LlamaSteer.Models;

/// <summary>
/// A loaded GGUF model: metadata, vocabulary and chat template, and the factory for contexts.
/// Thread-safe (read-only after load). Disposing it while contexts are alive is safe: each context
/// keeps the native model alive until it is disposed itself.
/// </summary>
public sealed class LlamaModel : IDisposable
{
    private readonly SafeLlamaModelHandle _handle;

    private LlamaModel(SafeLlamaModelHandle handle, ModelInfo info)
    {
        _handle = handle;
        Info = info;
    }

    /// <summary>What the model is.</summary>
    public ModelInfo Info { get; }

    internal SafeLlamaModelHandle Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsDisposed, this);
            return _handle;
        }
    }

    /// <summary>Number of transformer layers (residual stream outputs l_out-0 .. l_out-(n-1)).</summary>
    public int LayerCount => Info.LayerCount;

    /// <summary>Width of the residual stream (n_embd).</summary>
    public int EmbeddingSize => Info.EmbeddingSize;

    /// <summary>Vocabulary size (length of a logits row).</summary>
    public int VocabularySize => Info.VocabularySize;

    /// <summary>Validates the file with the managed GGUF reader, then loads it with llama.cpp.</summary>
    /// <exception cref="ModelLoadException">Missing, malformed, truncated or unsupported file, or llama.cpp refused it.</exception>
    /// <exception cref="NativeRuntimeException">The llama.cpp runtime is missing or of the wrong release.</exception>
    /// <exception cref="GpuUnavailableException">GPU layers were asked for and no GPU device is available.</exception>
    /// <exception cref="OperationCanceledException">Cancelled during the load.</exception>
    public static LlamaModel Load(string path, ModelOptions? options = null, IProgress<float>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new ModelOptions();
        options.Validate();
        var architecture = ModelFileCheck.Validate(path);
        var runtime = NativeRuntime.EnsureLoaded();
        // llama.cpp itself would silently run every layer on the CPU.
        if (options.GpuLayers != 0 && runtime.WhyNoGpu() is { } why)
            throw new GpuUnavailableException($"{(options.GpuLayers < 0 ? "all" : options.GpuLayers.ToString(System.Globalization.CultureInfo.InvariantCulture))} GPU layers were asked for, but there is {why}.");
        SafeLlamaModelHandle handle;
        try
        {
            handle = SafeLlamaModelHandle.Load(
                Path.GetFullPath(path),
                new ModelLoadSettings(options.GpuLayers, options.UseMmap, options.CheckTensors),
                p =>
                {
                    progress?.Report(p);
                    return !cancellationToken.IsCancellationRequested;
                });
        }
        catch (NativeCallException e)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new ModelLoadException($"Could not load {path} ({architecture}): {e.Message}", e);
        }
        if (handle.HasEncoder)
        {
            handle.Dispose();
            throw new ModelLoadException($"{path} is an encoder-decoder model ({architecture}); LlamaSteer steers decoder-only models.");
        }
        var info = new ModelInfo(
            Path.GetFullPath(path),
            architecture,
            handle.Description,
            handle.MetadataValue("general.name"),
            handle.LayerCount,
            handle.EmbeddingSize,
            handle.HeadCount,
            handle.KvHeadCount,
            handle.TrainedContextLength,
            handle.VocabularySize,
            handle.ParameterCount,
            handle.SizeBytes,
            handle.ChatTemplate);
        return new LlamaModel(handle, info);
    }

    /// <summary>Tokenizes text. <paramref name="addSpecial"/> adds BOS as the model asks; <paramref name="parseSpecial"/> turns special-token text into tokens (needed for chat templates).</summary>
    public int[] Tokenize(string text, bool addSpecial = true, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Handle.Tokenize(text, addSpecial, parseSpecial);
    }

    /// <summary>Turns tokens back into text (special tokens dropped unless <paramref name="renderSpecial"/>).</summary>
    public string Detokenize(ReadOnlySpan<int> tokens, bool renderSpecial = false) =>
        Handle.Detokenize(tokens, removeSpecial: false, unparseSpecial: renderSpecial);

    /// <summary>The bytes of one token (can be part of a UTF-8 character).</summary>
    public byte[] TokenBytes(int token) => Handle.TokenBytes(token);

    /// <summary>The text of one token, for display.</summary>
    public string TokenText(int token) => System.Text.Encoding.UTF8.GetString(TokenBytes(token));

    /// <summary>Whether the token ends generation (EOS, EOT, ...).</summary>
    public bool IsEndOfGeneration(int token) => Handle.IsEndOfGeneration(token);

    /// <summary>Creates a context (KV cache, compute buffers) on this model.</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    /// <exception cref="LlamaSteerException">llama.cpp could not create it (e.g. out of memory).</exception>
    public InferenceContext CreateContext(ContextOptions? options = null) => new(this, options ?? new ContextOptions());

    /// <summary>Frees the model once no context uses it any more.</summary>
    public void Dispose() => _handle.Dispose();
}
