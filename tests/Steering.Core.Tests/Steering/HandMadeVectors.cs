using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Steering;

/// <summary>Small vectors written out by hand for tests that work out the expected numbers themselves, without a model.</summary>
internal static class HandMadeVectors
{
    /// <summary>A "llama" vector with the given direction on each layer; its n_embd is the directions' length.</summary>
    public static SteeringVector Vector(params (int Layer, float[] Direction)[] layers) =>
        new(layers[0].Direction.Length, layers.ToDictionary(l => l.Layer, l => l.Direction), "llama");
}
