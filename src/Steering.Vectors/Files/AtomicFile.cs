namespace LlamaSteer.Files;

/// <summary>
/// Writes a file atomically: into a hidden temporary file in the same folder (registered with
/// <see cref="TemporaryFiles"/>), flushed to disk, then moved over the target. On failure or cancellation the
/// temporary file is deleted and a file already at the target is left as it was; errors name the target, never
/// the temporary file.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    /// <exception cref="IOException">Writing or replacing failed, or <paramref name="path"/> is a folder; the message names <paramref name="path"/>.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder may not be written.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; nothing was written.</exception>
    public static void Write(string path, Action<Stream> write, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var fullPath = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(fullPath) ?? throw new IOException($"Cannot write {path}: it has no parent folder.");
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Cannot write {path}: the folder {folder} does not exist.");
        if (Directory.Exists(fullPath)) throw new IOException($"Cannot write {path}: it is a folder.");

        // Same folder, so the final move is a rename within one file system and cannot be seen half done.
        var temporary = TemporaryFiles.CreatePathBeside(fullPath);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                write(stream);
                cancellationToken.ThrowIfCancellationRequested();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
            TemporaryFiles.Forget(temporary);
        }
        catch (IOException e)
        {
            TemporaryFiles.Delete(temporary);
            throw new IOException($"Cannot write {path}: {Describe(e, temporary)}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            TemporaryFiles.Delete(temporary);
            throw new UnauthorizedAccessException($"Cannot write {path}: permission denied in {folder}.", e);
        }
        catch
        {
            TemporaryFiles.Delete(temporary);
            throw;
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 to <paramref name="path"/> atomically.</summary>
    public static void WriteAllText(string path, string text, CancellationToken cancellationToken = default) =>
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), leaveOpen: true);
            writer.Write(text);
        }, cancellationToken);

    /// <summary>
    /// Writes several text files (a report's .json and .html) so that either all are replaced or none: every
    /// temporary file is written and flushed first, and only then are they moved into place.
    /// </summary>
    public static void WriteAllTexts(IReadOnlyList<(string Path, string Text)> files, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        var staged = new List<(string Temporary, string Target)>();
        try
        {
            foreach (var (path, text) in files)
            {
                var fullPath = Path.GetFullPath(path);
                if (Directory.Exists(fullPath)) throw new IOException($"Cannot write {path}: it is a folder.");
                var temporary = TemporaryFiles.CreatePathBeside(fullPath);
                staged.Add((temporary, fullPath));
                try
                {
                    using var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None);
                    using (var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), leaveOpen: true)) writer.Write(text);
                    stream.Flush(flushToDisk: true);
                }
                catch (IOException e)
                {
                    throw new IOException($"Cannot write {path}: {Describe(e, temporary)}", e);
                }
                cancellationToken.ThrowIfCancellationRequested();
            }
            foreach (var (temporary, target) in staged)
            {
                File.Move(temporary, target, overwrite: true);
                TemporaryFiles.Forget(temporary);
            }
        }
        finally
        {
            foreach (var (temporary, _) in staged) TemporaryFiles.Delete(temporary);
        }
    }

    // The runtime's message names the temporary path; say what happened without it.
    private static string Describe(IOException e, string temporary)
    {
        const int DiskFull = 28, DiskFullHResult = unchecked((int)0x80070070);
        if (e.HResult is DiskFull or DiskFullHResult || e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase))
            return "the disk is full.";
        return e.Message.Replace(temporary, "its temporary file", StringComparison.Ordinal);
    }
}
