using System.Globalization;
using LlamaSteer.Capture;
using LlamaSteer.Datasets;
using LlamaSteer.Evaluation;
using LlamaSteer.Generation;
using LlamaSteer.Models;
using LlamaSteer.Sampling;
using LlamaSteer.Steering;
using LlamaSteer.Steering.Contextual;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Steering;

/// <summary>
/// Fixed strength against CLAS on the same happy-sad vector and prompts: how often sampled generations show
/// the concept, and what the steering costs in fluency (perplexity of a held-out neutral story). Not a test of
/// behaviour: it prints a table for the record.
/// </summary>
[TestFixture, Explicit("measurement; prints the CLAS-vs-fixed table")]
public class ClasMeasurement
{
    private static readonly string[] PositiveWords = ["happy", "smile", "smiled", "smiling", "laugh", "laughed", "laughing", "glad", "joy", "fun"];
    private static readonly string[] NegativeWords = ["sad", "cry", "cried", "crying", "upset", "tears", "angry", "scared"];


    /// <summary>Held-out neutral story for perplexity.</summary>
    private const string HeldOutText =
        "One day, Jack and his mom went to the market. They saw apples, eggs and bread. Mom gave Jack a bag to carry. " +
        "On the way home, they walked past the park and the school. Jack saw a big truck on the road. " +
        "When they got home, Jack put the bag on the table and helped his mom put the food away.";

    [Test]
    public void FixedStrengthAgainstClas()
    {
        using var model = LlamaModel.Load(TestPaths.Model);
        var datasets = Path.Combine(TestPaths.RepoRoot, "vectors", "datasets");
        var data = DatasetTokenizer.Tokenize(model, ContrastiveDataset.Load(Path.Combine(datasets, "tinystories-happy-sad.jsonl")));
        var vector = VectorTrainer.Train(model, data.Positives, data.Negatives, new TrainingOptions { Layers = LayerSet.Range(1, 4), Threads = 1 }, new VectorProvenance()).Vector;
        var prompts = ProbeCatalog.Load(Path.Combine(datasets, "probes.json"))["tinystories-happy-sad"].Prompts;

        // CLAS "cue": steer where the next word carries the mood (the last token of every happy-sad text, both
        // sides, which end on a mood cue), not in neutral narration (every token of neutral-narration.txt).
        var cues = data.Positives.Concat(data.Negatives).Select(i => i with { CompletionStart = i.Tokens.Length - 1 }).ToArray();
        // Neutral narration without mood words, for the label-0 side (never the perplexity text): the shipped CLAS example file.
        var neutralTexts = ContrastiveDataset.LoadPromptList(Path.Combine(datasets, "clas", "neutral-narration.txt"));
        var neutral = neutralTexts.Select(t => new CaptureItem(model.Tokenize(t), 1)).ToArray();
        // CLAS "need": steer where the context is sad (every token of the sad side), not where it is already happy.
        var sad = data.Negatives.ToArray();
        var happy = data.Positives.ToArray();
        var variants = new (string Name, ClasParameters Clas)[]
        {
            ("cue", ClasFitter.Fit(model, vector, cues, neutral, new ClasFitOptions { Threads = 1 })),
            ("need", ClasFitter.Fit(model, vector, sad, happy, new ClasFitOptions { Threads = 1 })),
        };

        var plainPpl = Perplexity.Of(model, HeldOutText, threads: 1).Value;
        var plain = Generate(model, prompts, SteeringPlan.None);
        TestContext.Out.WriteLine($"{prompts.Count} prompts x {Seeds} seeds, temperature 0.8, {Tokens} tokens; held-out perplexity unsteered {plainPpl:F3}");
        TestContext.Out.WriteLine("| steering | strength | positive rate | negative rate | held-out perplexity | ratio to unsteered | generations' perplexity (unsteered model) | mean coefficient on held-out text |");
        TestContext.Out.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        Row(model, prompts, "none", 0, plain, plainPpl, plainPpl, null);
        foreach (var s in new[] { 0.25f, 0.5f, 0.75f, 1f, 1.5f, 2f, 3f })
        {
            var plan = new SteeringPlan([new SteeringTerm(vector, s)]);
            Row(model, prompts, "fixed", s, Generate(model, prompts, plan), Perplexity.Of(model, HeldOutText, plan, threads: 1).Value, plainPpl, null);
        }
        foreach (var (name, clas) in variants)
        {
            var gate = MeanCoefficient(model, clas, [HeldOutText]);
            TestContext.Out.WriteLine($"CLAS {name}: mean coefficient {gate:F3} on the held-out text, {MeanCoefficient(model, clas, prompts, lastOnly: true):F3} at the last token of the prompts");
            foreach (var s in new[] { 1f, 2f, 3f, 4f, 6f })
            {
                var plan = new SteeringPlan([clas.Term(vector, s)]);
                Row(model, prompts, $"CLAS {name}", s, Generate(model, prompts, plan), Perplexity.Of(model, HeldOutText, plan, threads: 1).Value, plainPpl, gate);
            }
        }
    }

    private const int Seeds = 20;
    private const int Tokens = 40;

    private static IReadOnlyList<GenerationResult> Generate(LlamaModel model, IReadOnlyList<string> prompts, SteeringPlan plan)
    {
        var requests = prompts.SelectMany(p => Enumerable.Range(1, Seeds).Select(seed => new GenerationRequest(p, new GenerationOptions
        {
            MaxTokens = Tokens,
            Sampling = new SamplingOptions { Temperature = 0.8f, Seed = (uint)seed },
            Plan = plan,
        }))).ToArray();
        using var ctx = model.CreateContext(new() { Threads = 1, EnableGraphHooks = true, MaxSequences = requests.Length, ContextSize = 16384 });
        return new BatchedGenerator(ctx).Generate(requests);
    }

    private static bool Has(string text, string[] words) =>
        text.Split([' ', '.', ',', '!', '?', '"', '\n'], StringSplitOptions.RemoveEmptyEntries).Any(w => words.Contains(w.ToLowerInvariant()));

    /// <summary>Mean CLAS coefficient over the texts' tokens (or their last tokens) and the vector's layers (unsteered states).</summary>
    private static double MeanCoefficient(LlamaModel model, ClasParameters clas, IReadOnlyList<string> texts, bool lastOnly = false)
    {
        using var capturer = new ActivationCapturer(model, 1);
        var layers = LayerSet.Of(clas.Strength.Layers);
        var a = capturer.Capture(texts.Select(t => model.Tokenize(t)).Select(t => new CaptureItem(t, lastOnly ? t.Length - 1 : 1)).ToArray(), layers, CapturePositions.AllTokens);
        return layers.Layers.Average(l => Enumerable.Range(0, a.RowCount).Average(r => clas.Strength.Coefficient(l, a.Row(l, r))));
    }

    /// <summary>exp of the mean negative log-likelihood of the generated tokens under the unsteered model, given their prompts.</summary>
    private static double GenerationPerplexity(LlamaModel model, IReadOnlyList<GenerationResult> results, IReadOnlyList<string> prompts)
    {
        double nll = 0;
        var n = 0;
        for (var i = 0; i < results.Count; i++)
        {
            if (results[i].Tokens.Count == 0) continue;
            var prompt = model.Tokenize(prompts[i / Seeds]);
            var p = Perplexity.OfContinuation(model, prompt.Concat(results[i].Tokens).ToArray(), prompt.Length, threads: 1);
            nll += p.MeanNegativeLogLikelihood * p.Tokens;
            n += p.Tokens;
        }
        return Math.Exp(nll / n);
    }

    private static void Row(LlamaModel model, IReadOnlyList<string> prompts, string steering, float strength, IReadOnlyList<GenerationResult> results, double ppl, double plainPpl, double? gate)
    {
        var pos = results.Count(r => Has(r.Text, PositiveWords)) / (double)results.Count;
        var neg = results.Count(r => Has(r.Text, NegativeWords)) / (double)results.Count;
        var gen = GenerationPerplexity(model, results, prompts);
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {steering} | {strength} | {pos * 100:F0}% | {neg * 100:F0}% | {ppl:F3} | {ppl / plainPpl:F2} | {gen:F2} | {(gate is { } g ? g.ToString("F3", CultureInfo.InvariantCulture) : "")} |"));
    }
}
