using LlamaSteer.Models;
using LlamaSteer.Testing;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Losses;
using LlamaSteer.Training.Parameters;

namespace LlamaSteer.Core.Tests.Training;

/// <summary>
/// Gate 2: d(loss)/d(steering vector) from ggml's backward pass equals central finite differences of the same loss
/// computed by llama.cpp itself (llama_decode with the vector as its control vector), relative error under 1e-2.
/// </summary>
[TestFixture]
public class GradientGateTests
{
    private const string Prompt = "Once upon a time, there was a little girl named Lily.";
    private const string Response = " She loved to play in the park with her dog.";

    [TestCase(2)]
    [TestCase(4)]
    public void VectorGradientEqualsFiniteDifferencesOfLlamaCppsLoss(int layer)
    {
        var model = SharedModel.Model;
        using var weights = ModelWeights.Load(TestPaths.Model);
        var prompt = model.Tokenize(Prompt);
        int[] tokens = [.. prompt, .. model.Tokenize(Response, addSpecial: false)];
        var n = model.EmbeddingSize;
        var vectors = new LayerVectors([layer], n, _ => LlamaCppReference.RandomVector(n, 11, 0.3f));

        using var runner = new GraphRunner(1);
        using var step = new GraphStep(LlamaGraphBuilder.NodeBudget(weights.Hyperparameters.LayerCount, 1));
        var pass = new LlamaGraphBuilder(weights, step).Build(tokens, vectors);
        var logp = step.SetLoss(SequenceLogProbability.Build(step, pass.Logits, tokens, prompt.Length));
        runner.ForwardBackward(step);
        var gradient = runner.Gradients(step)[vectors.Tensors[0]];
        var v = vectors.Vector(layer);

        double LlamaCpp(float[] x) => LlamaCppReference.LogProbability(model, tokens, prompt.Length, new Dictionary<int, float[]> { [layer] = x });
        Assert.That(logp.ReadScalar(), Is.EqualTo(LlamaCpp(v)).Within(1e-3), "the graph's log-probability is llama.cpp's");

        const float eps = 1e-2f;
        var worst = 0.0;
        for (var j = 0; j < n; j += 7)
        {
            var plus = (float[])v.Clone();
            plus[j] += eps;
            var minus = (float[])v.Clone();
            minus[j] -= eps;
            var fd = (LlamaCpp(plus) - LlamaCpp(minus)) / (2 * eps);
            worst = Math.Max(worst, Math.Abs(fd - gradient[j]) / Math.Max(1e-4, Math.Abs(fd) + Math.Abs(gradient[j])));
        }
        Assert.That(gradient.Any(g => Math.Abs(g) > 1e-3), "the gradient is not trivially zero");
        Assert.That(worst, Is.LessThan(1e-2));
    }
}
