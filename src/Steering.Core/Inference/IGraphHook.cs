namespace LlamaSteer.Inference;

/// <summary>
/// Observes or edits tensors while llama.cpp computes a decode's graph (the evaluation callback).
/// Runs on the thread that called decode, inside llama_decode: it must not call back into the
/// context, and must not throw (exceptions are caught and re-thrown after the decode).
/// </summary>
public interface IGraphHook
{
    /// <summary>Asked for every graph node before it is computed; true to see it once computed.</summary>
    bool Wants(in GraphTensor tensor);

    /// <summary>
    /// Called once a wanted tensor is computed; it may read and overwrite the data. Return false only to
    /// stop the graph early (activation extraction past the last layer it reads); the logits of that
    /// decode are then garbage and must not be used.
    /// </summary>
    bool OnComputed(in GraphTensor tensor);
}
