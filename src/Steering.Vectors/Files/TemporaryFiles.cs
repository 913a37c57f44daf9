using System.Collections.Concurrent;

namespace LlamaSteer.Files;

/// <summary>
/// The process's hidden temporary files (each beside the file it will become), so that none is left behind on
/// any exit path: the writer deletes its own on failure or cancellation, and <see cref="DeleteAll"/> removes
/// whatever is still registered when the process is forced to exit (a second Ctrl+C, process exit).
/// Thread-safe.
/// </summary>
public static class TemporaryFiles
{
    private static readonly ConcurrentDictionary<string, byte> Registered = new(StringComparer.Ordinal);

    static TemporaryFiles() => AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteAll();

    /// <summary>A new hidden path in the folder of <paramref name="targetPath"/> (".NAME.RANDOM.tmp"), registered for deletion.</summary>
    public static string CreatePathBeside(string targetPath)
    {
        var fullPath = Path.GetFullPath(targetPath);
        var folder = Path.GetDirectoryName(fullPath) ?? throw new IOException($"Cannot write {fullPath}: it has no parent folder.");
        var temporary = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        Registered[temporary] = 0;
        return temporary;
    }

    /// <summary>Stops tracking a path that became the real file (moved over its target).</summary>
    public static void Forget(string temporary) => Registered.TryRemove(temporary, out _);

    /// <summary>Deletes the file if it exists and stops tracking it; never throws.</summary>
    public static void Delete(string temporary)
    {
        try
        {
            File.Delete(temporary);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Whatever failed before is the error to report; a leftover is named by its hidden ".tmp" name.
        }
        Forget(temporary);
    }

    /// <summary>Deletes every registered temporary file; used on a forced exit.</summary>
    public static void DeleteAll()
    {
        foreach (var path in Registered.Keys) Delete(path);
    }
}
