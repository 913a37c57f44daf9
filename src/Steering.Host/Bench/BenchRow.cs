namespace LlamaSteer.Host.Bench;

/// <summary>One benchmark row: tokens/s over repeated runs, and its ratio to the row it is compared with.</summary>
internal sealed record BenchRow(string Name, string Unit, double Median, double Min, double Max, int Runs, string? BaselineName, double? Ratio, string Note);

/// <summary>A whole benchmark run with the machine it ran on.</summary>
internal sealed record BenchReport(
    string Model, string Architecture, ulong Parameters, string ModelType, int Threads, int ContextSize,
    string Cpu, int Cores, string Os, string Runtime, string LlamaCpp, string DateUtc, IReadOnlyList<BenchRow> Rows);
