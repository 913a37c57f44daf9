using System.Text.RegularExpressions;
using LlamaSteer.Host.Serving.Api;

namespace LlamaSteer.Host.Serving.Registry;

/// <summary>Names of vectors and presets: letters, digits, '-', '_' and '.', starting with a letter or digit, so no name can be a path.</summary>
internal static partial class RegistryNames
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex Valid();

    public static bool IsValid(string? name) => !string.IsNullOrEmpty(name) && Valid().IsMatch(name) && !name.Contains("..");

    /// <exception cref="ApiException">400 naming <paramref name="param"/>.</exception>
    public static string Check(string? name, string param)
    {
        if (string.IsNullOrEmpty(name)) throw ApiException.BadRequest($"'{param}' is missing.", param);
        if (!IsValid(name))
            throw ApiException.BadRequest($"'{param}' must be 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit (no paths).", param, "invalid_name");
        return name;
    }
}
