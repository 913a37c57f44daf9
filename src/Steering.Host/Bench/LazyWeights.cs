using LlamaSteer.Training.Graph;

namespace LlamaSteer.Host.Bench;

/// <summary>The training graph's weights, read only when a training row actually runs; disposed with the bench.</summary>
internal sealed class LazyWeights(string path) : IDisposable
{
    private ModelWeights? _weights;

    public ModelWeights Value => _weights ??= ModelWeights.Load(path);

    public void Dispose() => _weights?.Dispose();
}
