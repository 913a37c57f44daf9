namespace LlamaSteer.Host.Serving.Registry;

/// <summary>Writes a file so that readers see the old content or the new, never a part: temporary file beside it, flush to disk, rename.</summary>
internal static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        var temp = TempBeside(path);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Moves an already flushed file into place by rename (same folder tree, so the rename is atomic).</summary>
    public static void MoveInto(string source, string path) => File.Move(source, path, overwrite: true);

    public static string TempBeside(string path) => Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
}
