using LlamaSteer.Datasets;
using LlamaSteer.Evaluation;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Evaluation;

/// <summary>Shipped datasets trained on stories260K (mean difference, separation scaling, layers 1-4) and their probes.</summary>
internal static class TrainedVectors
{
    public static readonly LayerSet Layers = LayerSet.Range(1, 4);

    public static string Dataset(string name) => Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", name + ".jsonl");

    public static IReadOnlyDictionary<string, ConceptProbe> Probes { get; } =
        ProbeCatalog.Load(Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", "probes.json"));

    public static SteeringVector Train(LlamaModel model, string name)
    {
        var data = ContrastiveDataset.Load(Dataset(name));
        var tokenized = DatasetTokenizer.Tokenize(model, data);
        return VectorTrainer.Train(model, tokenized.Positives, tokenized.Negatives,
            new TrainingOptions { Layers = Layers, Threads = 1 }, new VectorProvenance { DatasetName = name }).Vector;
    }

    public static ProbedVector Probed(LlamaModel model, string name, SteeringVector vector, float weight = 1)
    {
        var probe = Probes[name];
        return new ProbedVector(new ComposedVector(name, vector, weight, Layers), ProbeTokens.Resolve(model, probe.Positive, probe.Negative), probe.Prompts);
    }
}
