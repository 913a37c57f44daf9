using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LlamaSteer.Datasets;

/// <summary>
/// Pairs of texts that differ in one concept, for extracting a steering vector: read from a JSONL
/// file (<see cref="Load"/>) or built from an instruction and base prompts (<see cref="FromInstruction"/>).
/// Immutable; thread-safe.
/// </summary>
/// <remarks>
/// File format (one JSON object per non-blank line; lines starting with <c>//</c> or <c>#</c> are comments):
/// <c>{"positive": "...", "negative": "..."}</c> (whole texts),
/// <c>{"prompt": "...", "positive": "...", "negative": "..."}</c> (completions after a shared prompt,
/// joined to it exactly as written, so a completion that starts a new word starts with a space), or
/// <c>{"instruction": "...", "prompt": "..."}</c> (positive = prompt + <see cref="InstructionSeparator"/> +
/// instruction, negative = the prompt alone). Contrastive and instruction lines cannot be mixed.
/// </remarks>
public sealed class ContrastiveDataset
{
    /// <summary>
    /// What joins a base prompt and its instruction: the instruction is appended to the user's request on
    /// a line of its own, as in "Improving Instruction-Following in Language Models through Activation
    /// Steering" (Stolfo et al., 2024), where the vector is the difference between a request with the
    /// instruction and the same request without it.
    /// </summary>
    public const string InstructionSeparator = "\n";

    private ContrastiveDataset(string name, string? sourcePath, string sha256, IReadOnlyList<ContrastivePair> pairs, DatasetKind kind, string? instruction)
    {
        Name = name;
        SourcePath = sourcePath;
        Sha256 = sha256;
        Pairs = pairs;
        Kind = kind;
        Instruction = instruction;
    }

    /// <summary>The file name without its extension, or the name given to a dataset built in memory.</summary>
    public string Name { get; }

    /// <summary>The full path of the file it was read from; null for a dataset built in memory.</summary>
    public string? SourcePath { get; }

    /// <summary>
    /// SHA-256 (lower-case hex) of the file's bytes. For <see cref="FromInstruction"/>, of the UTF-8 JSONL
    /// text that holds the same pairs: per base prompt, <c>{"instruction":"...","prompt":"..."}</c> in compact
    /// JSON followed by a newline; a file with exactly that text has the same hash.
    /// </summary>
    public string Sha256 { get; }

    /// <summary>The pairs, in file order; never empty.</summary>
    public IReadOnlyList<ContrastivePair> Pairs { get; }

    public DatasetKind Kind { get; }

    /// <summary>For instruction datasets, the instruction when every pair shares one; otherwise null.</summary>
    public string? Instruction { get; }

    /// <summary>Reads a JSONL dataset (format in the remarks of <see cref="ContrastiveDataset"/>).</summary>
    /// <exception cref="DatasetFormatException">A missing or unreadable file, no pairs, or a malformed line (the message names the file and line).</exception>
    public static ContrastiveDataset Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var bytes = ReadBytes(path);
        var lines = DatasetText.Lines(bytes, path);
        var (pairs, kind) = DatasetJsonl.Parse(lines, path);
        var instructions = kind == DatasetKind.Instruction ? pairs.Select(p => InstructionOf(p)).Distinct().ToList() : [];
        return new ContrastiveDataset(
            Path.GetFileNameWithoutExtension(path),
            Path.GetFullPath(path),
            Convert.ToHexStringLower(SHA256.HashData(bytes)),
            pairs,
            kind,
            instructions.Count == 1 ? instructions[0] : null);
    }

    /// <summary>
    /// Builds instruction pairs: for each base prompt, positive = prompt + <see cref="InstructionSeparator"/> +
    /// <paramref name="instruction"/>, negative = the prompt alone. Pair i gets line number i + 1.
    /// </summary>
    /// <exception cref="ArgumentException">An empty instruction or name, no prompts, or an empty prompt.</exception>
    public static ContrastiveDataset FromInstruction(string instruction, IReadOnlyList<string> basePrompts, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instruction);
        ArgumentNullException.ThrowIfNull(basePrompts);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (basePrompts.Count == 0) throw new ArgumentException("An instruction dataset needs at least one base prompt.", nameof(basePrompts));
        for (var i = 0; i < basePrompts.Count; i++)
            if (string.IsNullOrWhiteSpace(basePrompts[i]))
                throw new ArgumentException($"Base prompt {i + 1} is empty.", nameof(basePrompts));
        var pairs = basePrompts.Select((p, i) => InstructionPair(instruction, p, i + 1)).ToList();
        var content = InstructionJsonl(instruction, basePrompts);
        return new ContrastiveDataset(name, null, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content))), pairs, DatasetKind.Instruction, instruction);
    }

    /// <summary>
    /// Reads base prompts for <see cref="FromInstruction"/>: one prompt per non-blank line, trimmed; lines
    /// starting with <c>#</c> are comments.
    /// </summary>
    /// <exception cref="DatasetFormatException">A missing or unreadable file, or one without prompts.</exception>
    public static IReadOnlyList<string> LoadPromptList(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var prompts = DatasetText.Lines(ReadBytes(path), path)
            .Select(l => l.Text.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToList();
        if (prompts.Count == 0) throw new DatasetFormatException(path, null, "no prompts (the file is empty or holds only comments and blank lines).");
        return prompts;
    }

    internal static ContrastivePair InstructionPair(string instruction, string prompt, int lineNumber) =>
        new(null, prompt + InstructionSeparator + instruction, prompt, lineNumber);

    private static string InstructionOf(ContrastivePair p) => p.Positive[(p.Negative.Length + InstructionSeparator.Length)..];

    private static string InstructionJsonl(string instruction, IReadOnlyList<string> prompts)
    {
        var options = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        var sb = new StringBuilder();
        foreach (var p in prompts)
            sb.Append(JsonSerializer.Serialize(new Dictionary<string, string> { ["instruction"] = instruction, ["prompt"] = p }, options)).Append('\n');
        return sb.ToString();
    }

    private static byte[] ReadBytes(string path)
    {
        if (Directory.Exists(path)) throw new DatasetFormatException(path, null, "is a folder, not a file.");
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DatasetFormatException(path, null, "no such file.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetFormatException(path, null, $"cannot be read: {e.Message}", e);
        }
    }
}
