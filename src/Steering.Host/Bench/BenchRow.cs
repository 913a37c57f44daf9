namespace LlamaSteer.Host.Bench;

/// <summary>
/// One benchmark row: a throughput over repeated runs, its ratio to the row it is compared with, and its
/// ratio to plain decode of the same batch size (both measured in the same run). <see cref="BestRatio"/>
/// compares the best runs (the row's fastest over the fastest of the baseline runs paired with it): on a
/// shared machine the best run is the one least disturbed by other work. <see cref="RatioSpread"/> and
/// <see cref="PlainRatioSpread"/> are the interquartile ranges of the per-round ratios: how far one round's
/// ratio wanders, so a reader can tell a real cost from noise.
/// </summary>
internal sealed record BenchRow(
    string Name, string Unit, double Median, double Min, double Max, int Runs,
    string? BaselineName, double? Ratio, double? BestRatio, int? BatchSize, string? PlainName, double? PlainRatio, string Note,
    Quartiles? RatioSpread, Quartiles? PlainRatioSpread);

/// <summary>The first and third quartile of a set of per-round ratios.</summary>
internal sealed record Quartiles(double Low, double High);

/// <summary>
/// A whole benchmark run with the machine it ran on and how busy the machine was. <see cref="StealPercent"/> is
/// the share of CPU time the hypervisor gave to other guests during the run (null where /proc/stat is missing).
/// </summary>
internal sealed record BenchReport(
    string Model, string Architecture, ulong Parameters, string ModelType, int Threads, int ContextSize,
    string Cpu, int Cores, string Os, string Runtime, string LlamaCpp, string DateUtc,
    string LoadBefore, string LoadAfter, double? StealPercent, double Seconds, IReadOnlyList<BenchRow> Rows, IReadOnlyList<string> Pending);
