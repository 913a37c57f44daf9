namespace LlamaSteer.Vectors.Baking;

/// <summary>One vector baked into a model: which (its file name and <see cref="VectorFingerprint"/>), how strongly, where.</summary>
/// <param name="Name">The vector's file name when it was baked (informational).</param>
/// <param name="Fingerprint">The <see cref="VectorFingerprint"/> of the vector file's directions, before strength and layer choice.</param>
/// <param name="Strength">The factor its directions were multiplied by.</param>
/// <param name="Layers">The layers it was baked into, as text ("1-4").</param>
public sealed record BakedVector(string Name, string Fingerprint, float Strength, string Layers);
