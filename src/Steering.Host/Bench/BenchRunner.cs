using System.Diagnostics;
using System.Runtime.InteropServices;
using LlamaSteer.Capture;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Native.Runtime;
using LlamaSteer.Steering;

namespace LlamaSteer.Host.Bench;

/// <summary>Settings of one benchmark run; every row uses the same context settings.</summary>
internal sealed record BenchSettings(int Threads, int Runs, int DecodeTokens, int PromptTokens, int BatchSequences, int ContextSize);

/// <summary>
/// Measures every steering path on one model in one process: each row is timed over warm-up plus
/// repeated runs (median, min, max) and given as a ratio to its baseline measured in the same run.
/// </summary>
internal sealed class BenchRunner(LlamaModel model, BenchSettings settings, TextWriter progress)
{
    private readonly List<(string Name, string Unit, string? Baseline, Func<double> Run)> _plan = [];

    public BenchReport Run(CancellationToken ct)
    {
        var prompt = Prompt(settings.PromptTokens);
        var contextOptions = new ContextOptions
        {
            Threads = settings.Threads,
            ContextSize = settings.ContextSize,
            BatchSize = 512,
            MaxSequences = Math.Max(settings.BatchSequences, 64),
        };
        using var plain = model.CreateContext(contextOptions);
        using var hooked = model.CreateContext(contextOptions with { EnableGraphHooks = true });

        var decode1 = Measure("decode, batch 1", "tok/s", null, () => WithLease(plain, l => DecodeLoop.Decode(l, prompt, 1, settings.DecodeTokens)), ct);
        Measure($"decode, batch {settings.BatchSequences}", "tok/s", null, () => WithLease(plain, l => DecodeLoop.Decode(l, prompt, settings.BatchSequences, settings.DecodeTokens)), ct);
        var samples = Samples(64, settings.PromptTokens);
        var prefill = Measure("prefill (packed, 512-token batches)", "tok/s", null, () => WithLease(plain, l => DecodeLoop.Prefill(l, samples, 512, 64)), ct);

        var all = LayerSet.Range(1, model.LayerCount - 1);
        var vector = RandomVector(all);
        Measure($"decode + static control vector (layers {all})", "tok/s", decode1, () => WithLease(plain, l =>
        {
            l.SetControlVector(vector, all.First, all.Last);
            try { return DecodeLoop.Decode(l, prompt, 1, settings.DecodeTokens); }
            finally { l.SetControlVector([], -1, -1); }
        }), ct);
        Measure("decode, callback installed, no hook", "tok/s", decode1, () => WithLease(hooked, l => DecodeLoop.Decode(l, prompt, 1, settings.DecodeTokens)), ct);
        Measure("decode + capture of every layer", "tok/s", decode1, () => WithLease(hooked, l => DecodeLoop.Decode(l, prompt, 1, settings.DecodeTokens, new ReadEveryLayerHook())), ct);

        using var capturer = new ActivationCapturer(model, settings.Threads, 512, 64);
        {
            var items = samples.Select(s => new CaptureItem(s)).ToArray();
            var layers = LayerSet.Range(1, model.LayerCount - 1);
            Measure($"extraction capture (layers {layers}, last token)", "tok/s", prefill, () =>
            {
                var w = Stopwatch.StartNew();
                capturer.Capture(items, layers, CapturePositions.LastToken, cancellationToken: ct);
                return samples.Sum(s => s.Length) / w.Elapsed.TotalSeconds;
            }, ct);
            var middle = LayerSet.Of([model.LayerCount / 2]);
            Measure($"extraction capture (layer {middle}, graph stopped after it)", "tok/s", prefill, () =>
            {
                var w = Stopwatch.StartNew();
                capturer.Capture(items, middle, CapturePositions.LastToken, cancellationToken: ct);
                return samples.Sum(s => s.Length) / w.Elapsed.TotalSeconds;
            }, ct);
        }

        var rows = Execute(ct);
        var rt = NativeRuntime.EnsureLoaded();
        var i = model.Info;
        return new BenchReport(Path.GetFileName(i.Path), i.Architecture, i.ParameterCount, i.Description, settings.Threads, plain.Size,
            CpuName(), Environment.ProcessorCount, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription, rt.LlamaVersion,
            DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'"), rows);
    }

    private string Measure(string name, string unit, string? baseline, Func<double> run, CancellationToken ct)
    {
        _plan.Add((name, unit, baseline, run));
        return name;
    }

    /// <summary>
    /// Runs the rows round-robin: two warm-up rounds (JIT tiering, caches), then <c>Runs</c> timed rounds,
    /// so slow drift of the machine (other load, clock) touches every row alike and ratios stay fair.
    /// </summary>
    private List<BenchRow> Execute(CancellationToken ct)
    {
        var values = _plan.Select(_ => new List<double>()).ToList();
        for (var round = -2; round < settings.Runs; round++)
        {
            progress.WriteLine(round < 0 ? $"  warm-up round {round + 3} of 2" : $"  round {round + 1} of {settings.Runs}");
            for (var i = 0; i < _plan.Count; i++)
            {
                ct.ThrowIfCancellationRequested();
                var v = _plan[i].Run();
                if (round >= 0) values[i].Add(v);
            }
        }
        var rows = new List<BenchRow>();
        for (var i = 0; i < _plan.Count; i++)
        {
            var v = values[i].Order().ToList();
            var median = v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
            rows.Add(new BenchRow(_plan[i].Name, _plan[i].Unit, median, v[0], v[^1], v.Count, _plan[i].Baseline, null, ""));
        }
        return rows.Select(r => r.BaselineName is null ? r : r with { Ratio = r.Median / rows.Single(b => b.Name == r.BaselineName).Median }).ToList();
    }

    private static double WithLease(InferenceContext ctx, Func<ContextLease, double> f)
    {
        using var lease = ctx.Acquire();
        return f(lease);
    }

    private int[] Prompt(int n)
    {
        var text = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends. ";
        var tokens = model.Tokenize(string.Concat(Enumerable.Repeat(text, n / 8 + 1)));
        return tokens[..Math.Min(n, tokens.Length)];
    }

    private List<int[]> Samples(int count, int length)
    {
        var rng = new Random(1);
        var words = "the a girl boy dog cat park ball happy sad big small sun tree mom dad friend toy played ran jumped saw liked".Split(' ');
        return Enumerable.Range(0, count).Select(_ =>
        {
            var t = model.Tokenize(string.Join(' ', Enumerable.Range(0, length).Select(_ => words[rng.Next(words.Length)])));
            return t[..Math.Min(length, t.Length)];
        }).ToList();
    }

    private float[] RandomVector(LayerSet layers)
    {
        var rng = new Random(2);
        var data = new float[layers.Last * model.EmbeddingSize];
        for (var k = (layers.First - 1) * model.EmbeddingSize; k < data.Length; k++) data[k] = (float)(rng.NextDouble() - 0.5) * 0.1f;
        return data;
    }

    private static string CpuName()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>Reads every l_out row of every layer (the cost of full capture), discarding it.</summary>
    private sealed class ReadEveryLayerHook : IGraphHook
    {
        private float[] _buffer = [];

        public bool Wants(in GraphTensor tensor) => tensor.NameBytes.StartsWith("l_out-"u8);

        public bool OnComputed(in GraphTensor tensor)
        {
            var n = (int)(tensor.RowCount * tensor.RowLength);
            if (_buffer.Length < n) _buffer = new float[n];
            tensor.ReadRows(0, (int)tensor.RowCount, _buffer);
            return true;
        }
    }
}
