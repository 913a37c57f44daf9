using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using LlamaSteer.Gguf;

namespace LlamaSteer.GgufTools.Inspect;

/// <summary>
/// inspect's report as one JSON object: layout, metadata (typed, in file order), tensors and totals.
/// Long strings and arrays are shortened as in the text report unless --all; a shortened value says so
/// with "truncated": true and its full "length" or "count". Non-finite floats, which JSON cannot hold as
/// numbers, are written as the strings "NaN", "Infinity" and "-Infinity".
/// </summary>
internal static class InspectJson
{
    public static void Write(GgufFile file, InspectLimits limits, TextWriter output)
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping keeps tokens such as "▁Lily" readable; the output is not embedded in HTML.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("file", file.FilePath);
            json.WriteNumber("version", file.Version);
            json.WriteNumber("alignment", file.Alignment);
            json.WriteNumber("dataOffset", file.DataOffset);
            json.WriteNumber("fileSize", file.FileLength);

            json.WriteStartArray("metadata");
            foreach (var (key, value) in file.Metadata) WriteEntry(json, key, value, limits);
            json.WriteEndArray();

            json.WriteStartArray("tensors");
            foreach (var tensor in file.Tensors) WriteTensor(json, tensor);
            json.WriteEndArray();

            WriteTotals(json, TensorTotals.Of(file));
            json.WriteEndObject();
        }
        output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static void WriteEntry(Utf8JsonWriter json, string key, GgufMetadataValue value, InspectLimits limits)
    {
        json.WriteStartObject();
        json.WriteString("key", key);
        json.WriteString("type", GgufMetadataValue.TypeName(value.Type));
        if (value.Value is Array array)
        {
            json.WriteString("elementType", GgufMetadataValue.TypeName(value.ElementType!.Value));
            json.WriteNumber("count", array.Length);
            var shown = Math.Min(array.Length, limits.MaxArrayItems);
            json.WriteStartArray("values");
            for (var i = 0; i < shown; i++) WriteScalar(json, array.GetValue(i)!, limits);
            json.WriteEndArray();
            if (shown < array.Length) json.WriteBoolean("truncated", true);
        }
        else
        {
            json.WritePropertyName("value");
            WriteScalar(json, value.Value, limits);
            if (value.Value is string s && s.Length > limits.MaxStringLength)
            {
                json.WriteNumber("length", s.Length);
                json.WriteBoolean("truncated", true);
            }
        }
        json.WriteEndObject();
    }

    private static void WriteScalar(Utf8JsonWriter json, object value, InspectLimits limits)
    {
        switch (value)
        {
            case string s: json.WriteStringValue(s.Length > limits.MaxStringLength ? Cut(s, limits.MaxStringLength) : s); break;
            case bool b: json.WriteBooleanValue(b); break;
            // float keeps its own shortest form (1E-05, not 9.999999747378752E-06).
            case float f when float.IsFinite(f): json.WriteNumberValue(f); break;
            case double d when double.IsFinite(d): json.WriteNumberValue(d); break;
            case float or double: json.WriteStringValue(NonFinite(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture))); break;
            case ulong u: json.WriteNumberValue(u); break;
            default: json.WriteNumberValue(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)); break;
        }
    }

    private static string NonFinite(double value) => double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";

    private static string Cut(string s, int length) => s[..(length > 0 && char.IsHighSurrogate(s[length - 1]) ? length - 1 : length)];

    private static void WriteTensor(Utf8JsonWriter json, GgufTensorInfo tensor)
    {
        json.WriteStartObject();
        json.WriteString("name", tensor.Name);
        json.WriteString("type", GgmlTypeInfo.Name(tensor.Type));
        json.WriteNumber("typeId", (uint)tensor.Type);
        json.WriteStartArray("shape");
        foreach (var ne in tensor.Dimensions) json.WriteNumberValue(ne);
        json.WriteEndArray();
        json.WriteNumber("offset", tensor.Offset);
        json.WriteNumber("fileOffset", tensor.FileOffset);
        json.WriteNumber("bytes", tensor.ByteSize);
        json.WriteNumber("elements", tensor.ElementCount);
        json.WriteEndObject();
    }

    private static void WriteTotals(Utf8JsonWriter json, TensorTotals totals)
    {
        json.WriteStartObject("totals");
        json.WriteNumber("tensorCount", totals.Tensors);
        json.WriteNumber("parameterCount", totals.Parameters);
        json.WriteNumber("bytes", totals.Bytes);
        json.WriteStartArray("byType");
        foreach (var type in totals.ByType)
        {
            json.WriteStartObject();
            json.WriteString("type", GgmlTypeInfo.Name(type.Type));
            json.WriteNumber("tensors", type.Tensors);
            json.WriteNumber("parameters", type.Parameters);
            json.WriteNumber("bytes", type.Bytes);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
