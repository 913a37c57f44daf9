using System.CommandLine;
using LlamaSteer.Models;
using LlamaSteer.Prompts;

namespace LlamaSteer.Host.Cli;

/// <summary>
/// <c>--token FILE:NAME</c> (repeatable) and <c>--compose</c>, shared by generate and eval: steering tokens put in front
/// of the prompt in the order given; with --compose the files' composition token joins each neighbouring pair.
/// </summary>
internal sealed class TokenOptions
{
    public Option<string[]> Tokens { get; } = new("--token") { Description = "Steering token FILE:NAME from a tokens.gguf, put in front of the prompt (repeatable, in order)" };
    public Option<bool> Compose { get; } = new("--compose") { Description = "Join the --token tokens with the files' composition token (a ∧ b ∧ c)" };

    public void AddTo(Command command)
    {
        command.Options.Add(Tokens);
        command.Options.Add(Compose);
    }

    /// <summary>True when any --token was given.</summary>
    public bool Any(ParseResult parse) => parse.GetValue(Tokens) is { Length: > 0 };

    /// <summary>The pieces to put in front of the prompt, checked against the model.</summary>
    /// <exception cref="ArgumentException">A malformed FILE:NAME, an unknown or repeated name, or --compose without a composition token.</exception>
    /// <exception cref="SteeringTokenFormatException">A file that is not a token file or belongs to another model.</exception>
    /// <param name="compose">Overrides --compose (eval measures the tokens both ways).</param>
    public IReadOnlyList<EmbeddingPiece> Load(ParseResult parse, LlamaModel model, bool? compose = null)
    {
        var specs = parse.GetValue(Tokens) ?? [];
        compose ??= parse.GetValue(Compose);
        if (specs.Length == 0)
            return compose == true ? throw new ArgumentException("--compose needs at least two --token FILE:NAME.") : [];
        var fingerprint = SteeringTokenFile.Fingerprint(model.Info.Path);
        var files = new Dictionary<string, SteeringTokenFile>();
        var tokens = new List<SteeringToken>();
        foreach (var spec in specs)
        {
            var colon = spec.LastIndexOf(':');
            if (colon <= 0 || colon == spec.Length - 1) throw new ArgumentException($"--token '{spec}' must be FILE:NAME (e.g. tokens.gguf:happy).");
            var (path, name) = (spec[..colon], spec[(colon + 1)..]);
            if (!files.TryGetValue(path, out var file)) files[path] = file = SteeringTokenFile.Load(path).CheckModel(path, fingerprint, model.EmbeddingSize);
            var token = file.Get(name, path);
            if (tokens.Any(t => t.Name == name)) throw new ArgumentException($"the token '{name}' is given twice.");
            tokens.Add(token);
        }
        if (compose != true) return [.. tokens.Select(t => t.Piece)];
        if (tokens.Count < 2) throw new ArgumentException("--compose needs at least two --token FILE:NAME.");
        if (tokens.FirstOrDefault(t => t.IsComposition) is { } given) throw new ArgumentException($"'{given.Name}' is a composition token; --compose puts it in by itself.");
        var glue = files.Values.SelectMany(f => f.Tokens).Where(t => t.IsComposition).DistinctBy(t => t.Name).ToList();
        if (glue.Count != 1)
            throw new ArgumentException(glue.Count == 0
                ? "--compose needs a composition token in one of the token files (train one with llamasteer tokens compose)."
                : $"the token files hold {glue.Count} composition tokens ({string.Join(", ", glue.Select(g => g.Name))}); keep one.");
        var pieces = new List<EmbeddingPiece>();
        foreach (var t in tokens)
        {
            if (pieces.Count > 0) pieces.Add(glue[0].Piece);
            pieces.Add(t.Piece);
        }
        return pieces;
    }
}
