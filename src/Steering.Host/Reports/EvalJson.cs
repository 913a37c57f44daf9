using System.Text.Json;
using System.Text.Json.Serialization;
using LlamaSteer.Evaluation;

namespace LlamaSteer.Host.Reports;

/// <summary>The eval report as JSON: the <see cref="SweepReport"/> record in camelCase, measurements not taken as null.</summary>
internal static class EvalJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Serialize(SweepReport report) => JsonSerializer.Serialize(report, Options);
}
