namespace LlamaSteer.Evaluation;

/// <summary>
/// What one setting (or the unsteered model) did. Null fields were not measured (no probe, no keywords,
/// no neutral text, no generated tokens).
/// </summary>
/// <param name="LogOdds">Mean over prompts of log p(probe positive) - log p(probe negative) of the next token.</param>
/// <param name="Shift">LogOdds minus the unsteered LogOdds.</param>
/// <param name="ConceptRate">Share of generations holding at least one keyword.</param>
/// <param name="KeywordsPerGeneration">Mean keyword occurrences per generation.</param>
/// <param name="NeutralPerplexity">Perplexity of the neutral text under this steering.</param>
/// <param name="PerplexityRatio">NeutralPerplexity over the unsteered one: the fluency cost.</param>
/// <param name="GenerationPerplexity">Perplexity of this setting's generations (their generated tokens) under the unsteered model.</param>
/// <param name="CheckPassRates">Per check name, the share of generations that pass it.</param>
public sealed record SweepMetrics(
    double? LogOdds,
    double? Shift,
    double? ConceptRate,
    double? KeywordsPerGeneration,
    double? NeutralPerplexity,
    double? PerplexityRatio,
    double? GenerationPerplexity,
    IReadOnlyDictionary<string, double> CheckPassRates,
    IReadOnlyList<SweepGeneration> Generations);

/// <summary>One sampled generation: which prompt, which seed, the text.</summary>
public sealed record SweepGeneration(int Prompt, uint Seed, string Text);

/// <summary>One (vector, layers, strength) setting and its metrics.</summary>
public sealed record SweepCell(string Candidate, string Layers, float Strength, SweepMetrics Metrics);

/// <summary>The setting a sweep recommends, with the effect and fluency cost that earned it.</summary>
public sealed record SweepRecommendation(string Candidate, string Layers, float Strength, double Effect, double PerplexityRatio);

/// <summary>
/// A finished sweep: the unsteered baseline, every cell, and the recommendation (null when no cell moves
/// the concept towards the positive side within the fluency bound; <see cref="RecommendationText"/> says why).
/// </summary>
public sealed record SweepReport(
    string Model,
    IReadOnlyList<string> Candidates,
    IReadOnlyList<string> LayerRows,
    IReadOnlyList<float> Strengths,
    IReadOnlyList<string> Prompts,
    string? ProbePositive,
    string? ProbeNegative,
    IReadOnlyList<string> Keywords,
    IReadOnlyList<string> Checks,
    string EffectMeasure,
    double MaxPerplexityRatio,
    int MaxTokens,
    int Samples,
    float Temperature,
    uint Seed,
    SweepMetrics Baseline,
    IReadOnlyList<SweepCell> Cells,
    SweepRecommendation? Recommendation,
    string RecommendationText);
