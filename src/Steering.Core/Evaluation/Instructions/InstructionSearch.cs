using System.Globalization;
using LlamaSteer.Datasets;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Vectors;

namespace LlamaSteer.Evaluation.Instructions;

/// <summary>What the paper's procedure sweeps for each instruction, beside <see cref="ComplianceSettings"/>.</summary>
public sealed record InstructionSearchSettings
{
    /// <summary>Candidate layers; null: <see cref="InstructionSearch.CandidateLayers"/>.</summary>
    public LayerSet? Layers { get; init; }

    /// <summary>Sweep the paper's adjust-to-target rule on each layer.</summary>
    public bool AdjustToTarget { get; init; } = true;

    /// <summary>Fixed strengths added on each layer besides adjust-to-target (in the vector's separation units).</summary>
    public IReadOnlyList<float> Strengths { get; init; } = [];

    /// <summary>A setting is picked only when its neutral-text perplexity is at most this many times the unsteered one.</summary>
    public double MaxPerplexityRatio { get; init; } = 1.5;

    /// <summary>Wraps a prompt (with or without its instruction) as the model reads it: identity, or a chat template.</summary>
    public Func<string, string> Format { get; init; } = p => p;

    /// <summary>Options for tokenizing the training pairs (chat formatting).</summary>
    public DatasetTokenizerOptions Tokenizer { get; init; } = new();
}

/// <summary>One swept setting of one instruction, measured on the validation prompts without the instruction.</summary>
public sealed record InstructionSetting(int Layer, bool AdjustToTarget, float Strength, double PassRate, double PerplexityRatio, double? GenerationPerplexity)
{
    public string Operator => AdjustToTarget ? "adjust-to-target" : "add " + Strength.ToString("0.###", CultureInfo.InvariantCulture);
}

/// <summary>
/// One instruction's result: its vector, every validation setting, the one picked (null when none keeps the
/// fluency bound), and on the held-out test prompts: without steering, with the picked steering, with the
/// instruction written in the prompt, and with both.
/// </summary>
public sealed record InstructionReport(
    Instruction Instruction,
    SteeringVector Vector,
    ComplianceResult ValidationBaseline,
    IReadOnlyList<InstructionSetting> Validation,
    InstructionSetting? Chosen,
    ComplianceResult Without,
    ComplianceResult? Steered,
    ComplianceResult InPrompt,
    ComplianceResult? Both);

/// <summary>
/// The layer search of "Improving Instruction-Following in Language Models through Activation Steering"
/// (Stolfo et al., 2024) for every instruction of a set: extract the instruction vector from the train prompts
/// with and without the instruction (mean difference at the last token), steer the validation prompts WITHOUT
/// the instruction on every candidate layer (adjust-to-target and any fixed strengths), pick the setting with the
/// best pass rate of the instruction's own checker among those whose fluency cost stays under the bound (ties:
/// lower cost, then the earlier layer), and report on the held-out test prompts. Nothing is chosen on the test split.
/// Not thread-safe.
/// </summary>
public static class InstructionSearch
{
    /// <summary>The paper's candidates: from layer n/5 to the last (n-1, the output of the last block), at most eight, evenly stepped.</summary>
    public static LayerSet CandidateLayers(int layerCount)
    {
        var first = Math.Max(1, layerCount / 5);
        var last = layerCount - 1;
        if (last < first) throw new ArgumentException($"A model with {layerCount} layers has no candidate layer from n/5 to n-1.");
        var step = Math.Max(1, (int)Math.Ceiling((last - first + 1) / 8.0));
        var layers = new List<int>();
        for (var l = last; l >= first; l -= step) layers.Add(l);
        return LayerSet.Of(layers);
    }

    /// <summary>Runs the search for every instruction; the validation runs of all instructions share batches, and so do the test runs.</summary>
    /// <exception cref="ArgumentException">Invalid settings, no setting to sweep, or candidate layers outside the model (before any decoding).</exception>
    public static IReadOnlyList<InstructionReport> Run(LlamaModel model, InstructionSet set, InstructionSearchSettings search, ComplianceSettings compliance, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);
        compliance.Validate();
        var layers = search.Layers ?? CandidateLayers(model.LayerCount);
        layers.CheckAgainst(model.LayerCount);
        if (layers.Layers.Contains(0)) throw new ArgumentException("Layer 0 cannot be a candidate: a control vector starts at layer 1.");
        if (!search.AdjustToTarget && search.Strengths.Count == 0) throw new ArgumentException("Nothing to sweep: give fixed strengths or keep adjust-to-target.");
        if (search.Strengths.Any(s => !float.IsFinite(s) || s == 0)) throw new ArgumentException("Fixed strengths must be finite and non-zero.");
        if (!double.IsFinite(search.MaxPerplexityRatio) || search.MaxPerplexityRatio < 1)
            throw new ArgumentException($"The perplexity-ratio bound must be a finite number >= 1 (got {search.MaxPerplexityRatio}).");

        var vectors = set.Instructions.Select(i =>
        {
            progress?.Report($"instruction vector '{i.Name}': {set.Train.Count} train prompts, layers {layers}");
            return Train(model, i, set.Train, layers, search.Tokenizer, compliance.Threads, cancellationToken);
        }).ToArray();

        // Validation: every instruction x layer x operator on the validation prompts without the instruction.
        var validationPrompts = set.Validation.Select(search.Format).ToArray();
        var cells = new List<(int Instruction, InstructionSetting Setting, ComplianceCondition Condition)>();
        var conditions = new List<ComplianceCondition> { new("validation, unsteered", SteeringPlan.None, validationPrompts, set.Instructions) };
        for (var k = 0; k < vectors.Length; k++)
            foreach (var layer in layers.Layers)
            {
                var operators = (search.AdjustToTarget ? [(true, 1f)] : Array.Empty<(bool, float)>()).Concat(search.Strengths.Select(s => (false, s)));
                foreach (var (adjust, strength) in operators)
                {
                    var setting = new InstructionSetting(layer, adjust, strength, 0, 0, null);
                    var c = new ComplianceCondition($"{set.Instructions[k].Name} {setting.Operator} @{layer}", Plan(vectors[k], set.Instructions[k].Name, setting), validationPrompts, [set.Instructions[k]]);
                    cells.Add((k, setting, c));
                }
            }
        conditions.AddRange(cells.Select(c => c.Condition));
        progress?.Report($"validation: {conditions.Count} conditions x {validationPrompts.Length} prompts x {compliance.Samples} samples");
        var validation = ComplianceRun.Measure(model, conditions, compliance, cancellationToken);
        var measured = cells.Select((c, i) => (c.Instruction, Setting: c.Setting with
        {
            PassRate = validation[i + 1].PassRate,
            PerplexityRatio = validation[i + 1].PerplexityRatio,
            GenerationPerplexity = validation[i + 1].GenerationPerplexity,
        })).ToArray();

        var chosen = set.Instructions.Select((_, k) => Best(measured.Where(m => m.Instruction == k).Select(m => m.Setting), search.MaxPerplexityRatio)).ToArray();

        // Held out: without, steered, instruction in the prompt, both; the unsteered run is shared.
        var test = set.Test.Select(search.Format).ToArray();
        var tests = new List<ComplianceCondition> { new("test, unsteered", SteeringPlan.None, test, set.Instructions) };
        for (var k = 0; k < vectors.Length; k++)
        {
            var instruction = set.Instructions[k];
            var written = set.Test.Select(p => search.Format(instruction.WrittenInto(p))).ToArray();
            var plan = chosen[k] is { } s ? Plan(vectors[k], instruction.Name, s) : null;
            tests.Add(new ComplianceCondition($"{instruction.Name}: in prompt", SteeringPlan.None, written, [instruction]));
            if (plan is not null)
            {
                tests.Add(new ComplianceCondition($"{instruction.Name}: steered", plan, test, [instruction]));
                tests.Add(new ComplianceCondition($"{instruction.Name}: both", plan, written, [instruction]));
            }
        }
        progress?.Report($"held-out test: {tests.Count} conditions x {test.Length} prompts x {compliance.Samples} samples");
        var results = ComplianceRun.Measure(model, tests, compliance, cancellationToken);
        var byName = results.ToDictionary(r => r.Name);

        return set.Instructions.Select((instruction, k) =>
        {
            var without = results[0];
            var own = without with
            {
                PassRate = without.InstructionPassRates[instruction.Name],
                InstructionPassRates = new Dictionary<string, double> { [instruction.Name] = without.InstructionPassRates[instruction.Name] },
            };
            var baseline = validation[0] with
            {
                PassRate = validation[0].InstructionPassRates[instruction.Name],
                InstructionPassRates = new Dictionary<string, double> { [instruction.Name] = validation[0].InstructionPassRates[instruction.Name] },
            };
            return new InstructionReport(
                instruction,
                vectors[k],
                baseline,
                measured.Where(m => m.Instruction == k).Select(m => m.Setting).ToArray(),
                chosen[k],
                own,
                byName.GetValueOrDefault($"{instruction.Name}: steered"),
                byName[$"{instruction.Name}: in prompt"],
                byName.GetValueOrDefault($"{instruction.Name}: both"));
        }).ToArray();
    }

    /// <summary>
    /// The paper's pick among measured settings: the best pass rate among those whose perplexity ratio is at most
    /// <paramref name="maxPerplexityRatio"/>; ties go to the lower ratio, then the earlier layer (then the order given).
    /// Null when none keeps the bound.
    /// </summary>
    public static InstructionSetting? Best(IEnumerable<InstructionSetting> settings, double maxPerplexityRatio) =>
        settings.Where(s => s.PerplexityRatio <= maxPerplexityRatio)
            .OrderByDescending(s => s.PassRate).ThenBy(s => s.PerplexityRatio).ThenBy(s => s.Layer)
            .FirstOrDefault();

    /// <summary>The plan of one setting: adjust-to-target or a fixed add, on its layer, every token.</summary>
    public static SteeringPlan Plan(SteeringVector vector, string name, InstructionSetting setting) =>
        setting.AdjustToTarget
            ? new SteeringPlan(SteeringTerms.AdjustToTarget(vector, LayerSet.Of([setting.Layer]), name: name))
            : new SteeringPlan([new SteeringTerm(vector, setting.Strength, LayerSet.Of([setting.Layer])) { Name = name }]);

    /// <summary>The instruction vector: prompts with the instruction (positives) against the same prompts without it, last token, mean difference.</summary>
    public static SteeringVector Train(LlamaModel model, Instruction instruction, IReadOnlyList<string> prompts, LayerSet layers, DatasetTokenizerOptions tokenizer, int? threads, CancellationToken ct)
    {
        var data = ContrastiveDataset.FromInstruction(instruction.Text, prompts, instruction.Name);
        var tokenized = DatasetTokenizer.Tokenize(model, data, tokenizer);
        var provenance = new VectorProvenance
        {
            DatasetName = data.Name,
            DatasetSha256 = data.Sha256,
            Options = $"instruction vector, positions=last, layers={layers}",
            CreatedUtc = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        };
        return VectorTrainer.Train(model, tokenized.Positives, tokenized.Negatives, new TrainingOptions { Layers = layers, Threads = threads }, provenance, null, ct).Vector;
    }
}
