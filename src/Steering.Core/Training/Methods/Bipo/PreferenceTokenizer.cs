using LlamaSteer.Datasets;
using LlamaSteer.Inference;
using LlamaSteer.Models;

namespace LlamaSteer.Training.Methods.Bipo;

/// <summary>
/// Turns preference pairs into token sequences (prompt with BOS, each response without special tokens and with EOS
/// appended, as BiPO's code does) and computes each pair's reference margin with llama_decode once.
/// </summary>
public static class PreferenceTokenizer
{
    /// <exception cref="DatasetFormatException">A response tokenizes to nothing, or a sequence does not fit the model's context.</exception>
    public static IReadOnlyList<TokenizedPreference> Tokenize(LlamaModel model, string source, IReadOnlyList<PreferencePair> pairs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var longest = 0;
        var sequences = new List<(int[] Chosen, int[] Rejected, int Prompt)>();
        foreach (var pair in pairs)
        {
            var prompt = model.Tokenize(pair.Prompt);
            int[] Response(string text, string field)
            {
                var tokens = model.Tokenize(text, addSpecial: false);
                if (tokens.Length == 0) throw new DatasetFormatException(source, pair.LineNumber, $"'{field}' has no tokens.");
                return [.. prompt, .. tokens, model.Handle.EosToken];
            }
            var chosen = Response(pair.Chosen, "chosen");
            var rejected = Response(pair.Rejected, "rejected");
            longest = Math.Max(longest, Math.Max(chosen.Length, rejected.Length));
            if (longest > model.Info.TrainedContextLength && model.Info.TrainedContextLength > 0)
                throw new DatasetFormatException(source, pair.LineNumber, $"the pair is {longest} tokens long, more than the model's context of {model.Info.TrainedContextLength}.");
            sequences.Add((chosen, rejected, prompt.Length));
        }
        using var context = model.CreateContext(new ContextOptions { Threads = 1, ExactAttention = true, ContextSize = Math.Max(64, longest), BatchSize = Math.Max(64, longest) });
        var result = new List<TokenizedPreference>();
        foreach (var (chosen, rejected, prompt) in sequences)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var margin = ReferenceLogProbabilities.Compute(context, chosen, prompt) - ReferenceLogProbabilities.Compute(context, rejected, prompt);
            result.Add(new TokenizedPreference(chosen, rejected, prompt, margin));
        }
        return result;
    }
}
