using System.Diagnostics;
using System.Runtime.InteropServices;
using LlamaSteer.Capture;
using LlamaSteer.Generation;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Native.Runtime;
using LlamaSteer.Sampling;
using LlamaSteer.Serving;
using LlamaSteer.Steering;

namespace LlamaSteer.Host.Bench;

/// <summary>Settings of one benchmark run; every row uses the same context settings.</summary>
/// <param name="Samples">Samples (of PromptTokens tokens each) for the prefill and extraction rows.</param>
/// <param name="Only">When not empty, only rows whose name contains one of these texts run, with the rows they are compared with.</param>
internal sealed record BenchSettings(int Threads, int Runs, int DecodeTokens, int PromptTokens, int BatchSequences, int ContextSize, int Samples, IReadOnlyList<string> Only);

/// <summary>
/// Measures every steering path on one model in one process: each row is timed over warm-up plus
/// repeated runs (median, min, max) and given as a ratio to its baseline and to plain decode of the
/// same batch size, both measured in the same run (see <see cref="BenchSchedule"/>).
/// </summary>
internal sealed class BenchRunner(LlamaModel model, BenchSettings settings, TextWriter progress)
{
    private readonly BenchSchedule _schedule = new();

    /// <summary>Rows that cannot be measured yet, with why.</summary>
    public static IReadOnlyList<string> Pending { get; } =
        ["llama.cpp's own llama-server (unsteered, -np 8) side by side: not measured; the node-llama-cpp package LlamaSteer runs on ships no llama-server binary, and building it from the bundled source was not done"];

    public BenchReport Run(CancellationToken ct)
    {
        var loadBefore = LoadAverage();
        var cpuBefore = CpuTimes.Read();
        var clock = Stopwatch.StartNew();
        var work = new BenchWorkloads(model);
        var batch = settings.BatchSequences;
        var prompt = work.Prompt(settings.PromptTokens);
        var contextOptions = new ContextOptions
        {
            Threads = settings.Threads,
            ContextSize = settings.ContextSize,
            BatchSize = 512,
            MaxSequences = Math.Max(batch, 64),
        };
        using var plain = model.CreateContext(contextOptions);
        using var hooked = model.CreateContext(contextOptions with { EnableGraphHooks = true });
        var all = LayerSet.Range(1, model.LayerCount - 1);
        var middle = work.MiddleLayers;

        var decode1 = PlainDecode(1, () => WithLease(plain, l => DecodeLoop.Decode(l, prompt, 1, settings.DecodeTokens)));
        var decodeN = PlainDecode(batch, () => WithLease(plain, l => DecodeLoop.Decode(l, prompt, batch, settings.DecodeTokens)), decode1);
        var samples = work.Samples(settings.Samples, settings.PromptTokens);
        var prefill = Measure("prefill (packed, 512-token batches)", "tok/s", null, null, "", () => WithLease(plain, l => DecodeLoop.Prefill(l, samples, 512, 64)));

        foreach (var layers in new[] { all, middle }.Distinct())
        {
            var buffer = work.ControlVectorBuffer(layers);
            Measure($"decode + static control vector (layers {layers}), batch 1", "tok/s", decode1, 1, "llama.cpp's control vector, no callback", () => WithLease(plain, l =>
            {
                l.SetControlVector(buffer, layers.First, layers.Last);
                try { return DecodeLoop.Decode(l, prompt, 1, settings.DecodeTokens); }
                finally { l.SetControlVector([], -1, -1); }
            }));
        }
        Measure("decode, callback installed, no hook, batch 1", "tok/s", decode1, 1, "every node asked, none wanted", () => WithLease(hooked, l => DecodeLoop.Decode(l, prompt, 1, settings.DecodeTokens)));
        Measure($"decode, callback installed, no hook, batch {batch}", "tok/s", decodeN, batch, "every node asked, none wanted", () => WithLease(hooked, l => DecodeLoop.Decode(l, prompt, batch, settings.DecodeTokens)));

        foreach (var contextual in new[] { false, true })
        {
            var (one, many, what) = contextual ? ("CLAS plan", "CLAS plans", "linear contextual add") : ("plan", "plans", "add");
            var hook1 = new PlanHook(model.LayerCount, model.EmbeddingSize);
            var hooks1 = BenchWorkloads.PlanHooks(hook1, work.Plans(1, middle, contextual, hooked.Size), prompt.Length);
            Measure($"decode + {one} through the callback ({what}, layers {middle}), batch 1", "tok/s", decode1, 1, "PlanHook.Prepare per decode",
                () => WithLease(hooked, l => DecodeLoop.Decode(l, prompt, 1, settings.DecodeTokens, hooks1)));
            var hookN = new PlanHook(model.LayerCount, model.EmbeddingSize);
            var hooksN = BenchWorkloads.PlanHooks(hookN, work.Plans(batch, middle, contextual, hooked.Size), prompt.Length);
            Measure($"decode + {batch} different {many} through the callback ({what}, layers {middle}), batch {batch}", "tok/s", decodeN, batch, "one plan per sequence, PlanHook.Prepare per decode",
                () => WithLease(hooked, l => DecodeLoop.Decode(l, prompt, batch, settings.DecodeTokens, hooksN)));
        }

        var everyLayer = new ReadEveryLayerHook();
        Measure("decode + capture of every layer, batch 1", "tok/s", decode1, 1, "reads every row of every l_out",
            () => WithLease(hooked, l => DecodeLoop.Decode(l, prompt, 1, settings.DecodeTokens, _ => everyLayer)));

        using var capturer = new ActivationCapturer(model, settings.Threads, 512, 64);
        var items = samples.Select(s => new CaptureItem(s)).ToArray();
        var sampleTokens = samples.Sum(s => s.Length);
        Measure($"extraction capture (layers {all}, last token)", "tok/s", prefill, null, $"ActivationCapturer, {samples.Count} samples", () =>
        {
            var w = Stopwatch.StartNew();
            capturer.Capture(items, all, CapturePositions.LastToken, cancellationToken: ct);
            return sampleTokens / w.Elapsed.TotalSeconds;
        });
        var single = LayerSet.Of([model.LayerCount / 2]);
        Measure($"extraction capture (layer {single}, graph stopped after it)", "tok/s", prefill, null, $"ActivationCapturer, {samples.Count} samples", () =>
        {
            var w = Stopwatch.StartNew();
            capturer.Capture(items, single, CapturePositions.LastToken, cancellationToken: ct);
            return sampleTokens / w.Elapsed.TotalSeconds;
        });

        var requestPlans = work.Plans(batch, middle, contextual: false, hooked.Size);
        var requests = work.RequestPrompts(batch).Select((p, i) => new GenerationRequest(p, new GenerationOptions
        {
            MaxTokens = settings.DecodeTokens,
            Sampling = SamplingOptions.Greedy,
            Plan = requestPlans[i],
        })).ToList();
        var sequential = Measure($"{batch} steered requests one after another (TextGenerator)", "tok/s", decode1, 1,
            "aggregate generated tok/s, prefill and sampling included; each plan alone rides llama.cpp's control vector",
            () => RequestLoop.OneAfterAnother(hooked, requests, ct));
        var batched = Measure($"{batch} steered requests batched (BatchedGenerator, one plan each)", "tok/s", sequential, batch,
            "aggregate generated tok/s, prefill and sampling included; plans through the callback",
            () => RequestLoop.Batched(hooked, requests, ct));
        using var server = ServingRows(work, middle, requests, batch, sequential, batched, ct);

        var trainTokens = prompt[..Math.Min(prompt.Length, 128)];
        var trainDecode = Measure($"llama_decode of {trainTokens.Length} tokens, every logit", "tok/s", null, null, "the training-step row's baseline",
            () => WithLease(plain, l => TrainingStepLoop.Decode(l, trainTokens, 4)));
        using var trainingWeights = new LazyWeights(model.Info.Path);
        Measure($"training step on the same {trainTokens.Length} tokens (graph forward + backward, vector on layers {middle})", "tok/s", trainDecode, null,
            "LlamaSteer's training graph; the ratio is the step's cost against one decode",
            () => TrainingStepLoop.Step(trainingWeights.Value, settings.Threads, trainTokens, middle, 4));

        _schedule.Keep(settings.Only);
        var rows = _schedule.Execute(settings.Runs, progress, ct);
        foreach (var d in _disposeAfterRun) d.DisposeAsync().AsTask().GetAwaiter().GetResult();
        var rt = NativeRuntime.EnsureLoaded();
        var i = model.Info;
        return new BenchReport(Path.GetFileName(i.Path), i.Architecture, i.ParameterCount, i.Description, settings.Threads, plain.Size,
            CpuName(), Environment.ProcessorCount, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription, rt.LlamaVersion,
            DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'"), loadBefore, LoadAverage(), CpuTimes.StealPercent(cpuBefore, CpuTimes.Read()), Math.Round(clock.Elapsed.TotalSeconds, 1), rows, Pending);
    }

    /// <summary>
    /// The same requests through the continuous-batching scheduler in process, and through a <c>llamasteer serve</c>
    /// child process over loopback HTTP (streaming, each with its own registered vector): concurrent against
    /// BatchedGenerator, one after another against TextGenerator; and time to first token with and without 7 others decoding.
    /// </summary>
    private ServingBench ServingRows(BenchWorkloads work, LayerSet layers, List<GenerationRequest> requests, int batch, string sequential, string batched, CancellationToken ct)
    {
        var slotContext = Math.Max(256, settings.DecodeTokens + 128);
        var server = ServingBench.Start(model.Info.Path, Enumerable.Range(0, batch).Select(s => work.Vector(layers, s)).ToList(), batch, slotContext, settings.Threads);
        var scheduler = new ContinuousBatchScheduler(model, new SchedulerOptions { Slots = batch, SlotContext = slotContext, Threads = settings.Threads });
        _disposeAfterRun.Add(scheduler);
        Measure($"{batch} steered requests through the scheduler (ContinuousBatchScheduler, no HTTP)", "tok/s", batched, batch,
            "aggregate generated tok/s; requests submitted together, one plan each, continuous batching with chunked prefill",
            () =>
            {
                var watch = Stopwatch.StartNew();
                var results = Task.WhenAll(requests.Select(r => scheduler.GenerateAsync(new ServingRequest(r.Prompt, r.Options), ct))).GetAwaiter().GetResult();
                return results.Sum(x => x.Tokens.Count) / watch.Elapsed.TotalSeconds;
            });
        Measure($"{batch} steered streaming HTTP requests one after another (llamasteer serve)", "tok/s", sequential, 1,
            "aggregate generated tok/s over loopback; a serve child process, each request with its own registered vector",
            () => server.OneAfterAnother(requests));
        Measure($"{batch} concurrent steered streaming HTTP requests (llamasteer serve)", "tok/s", batched, batch,
            "aggregate generated tok/s over loopback; the ratio is what HTTP, SSE and the scheduler cost against BatchedGenerator",
            () => server.Concurrent(requests));
        Measure("time to first token, one streaming HTTP request alone (llamasteer serve)", "ms", null, null,
            "milliseconds from sending to the first token's chunk", () => server.FirstTokenMs(requests, othersDecoding: false));
        Measure($"time to first token, one streaming HTTP request admitted while {batch - 1} others decode (llamasteer serve)", "ms", null, null,
            "milliseconds from sending to the first token's chunk; the others stream until it has its first token", () => server.FirstTokenMs(requests, othersDecoding: true));
        return server;
    }

    private readonly List<IAsyncDisposable> _disposeAfterRun = [];

    private string PlainDecode(int batchSize, Func<double> run, string? baseline = null) =>
        _schedule.AddPlainDecode(batchSize, baseline is null ? "plain context, no callback" : "plain context, no callback; the ratio is the most batching can give", run, baseline);

    private string Measure(string name, string unit, string? baseline, int? batchSize, string note, Func<double> run) =>
        _schedule.Add(name, unit, baseline, batchSize, note, run);

    private static double WithLease(InferenceContext ctx, Func<ContextLease, double> f)
    {
        using var lease = ctx.Acquire();
        return f(lease);
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

    /// <summary>The 1, 5 and 15 minute load averages, so a reader can judge how busy the machine was.</summary>
    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
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
