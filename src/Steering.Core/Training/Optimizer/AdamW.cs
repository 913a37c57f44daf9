using System.Numerics.Tensors;
using LlamaSteer.Training.Parameters;

namespace LlamaSteer.Training.Optimizer;

/// <summary>
/// AdamW (Loshchilov and Hutter) as PyTorch's torch.optim.AdamW computes it: decoupled weight decay p ← p(1 − lr·wd),
/// then the bias-corrected Adam step. Moments live here, per tensor. A tensor may carry its own learning rate
/// (<see cref="TrainableTensor.LearningRate"/>). Not thread-safe.
/// </summary>
public sealed class AdamW(float learningRate, float weightDecay = 0.01f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
{
    private readonly Dictionary<TrainableTensor, (float[] M, float[] V)> _moments = [];
    private int _steps;

    public float LearningRate { get; } = learningRate;

    public float WeightDecay { get; } = weightDecay;

    /// <summary>Optimizer steps taken.</summary>
    public int Steps => _steps;

    /// <summary>Applies one update with the learning rate scaled by <paramref name="rateFactor"/> (the schedule).</summary>
    public void Step(IReadOnlyDictionary<TrainableTensor, float[]> gradients, double rateFactor)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        _steps++;
        var c1 = 1 - Math.Pow(beta1, _steps);
        var c2 = 1 - Math.Pow(beta2, _steps);
        foreach (var (tensor, g) in gradients)
        {
            if (!_moments.TryGetValue(tensor, out var mv)) _moments[tensor] = mv = (new float[g.Length], new float[g.Length]);
            var lr = (float)((tensor.LearningRate ?? LearningRate) * rateFactor);
            var p = tensor.Values;
            if (WeightDecay > 0) TensorPrimitives.Multiply(p, 1 - lr * WeightDecay, p);
            for (var i = 0; i < p.Length; i++)
            {
                mv.M[i] = beta1 * mv.M[i] + (1 - beta1) * g[i];
                mv.V[i] = beta2 * mv.V[i] + (1 - beta2) * g[i] * g[i];
                var mHat = mv.M[i] / c1;
                var vHat = mv.V[i] / c2;
                p[i] -= (float)(lr * mHat / (Math.Sqrt(vHat) + epsilon));
            }
        }
    }
}
