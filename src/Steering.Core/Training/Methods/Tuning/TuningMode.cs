namespace LlamaSteer.Training.Methods.Tuning;

/// <summary>Which way representation tuning moves the model's hidden states relative to the direction.</summary>
public enum TuningMode
{
    /// <summary>Align them with it: the representation loss is (1 − cos(h, v))/2.</summary>
    In,

    /// <summary>Make them orthogonal to it: the representation loss is |cos(h, v)|.</summary>
    Out,
}

/// <summary>The type tuned tensors are written back in.</summary>
public enum TunedTensorType
{
    /// <summary>Each tensor's own type in the model (re-quantized when it was quantized).</summary>
    Original,

    F32,

    F16,
}
