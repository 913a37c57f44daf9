using System.Text;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Datasets;

/// <summary>Writes dataset files into a temp folder that is deleted with it.</summary>
internal sealed class DatasetFiles : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDirectory();
    private int _count;

    public string Write(string content, string name = "set") => WriteBytes(Encoding.UTF8.GetBytes(content), name);

    public string WriteBytes(byte[] content, string name = "set")
    {
        var path = Path.Combine(_dir, $"{name}-{_count++}.jsonl");
        File.WriteAllBytes(path, content);
        return path;
    }

    public string Lines(params string[] lines) => Write(string.Join("\n", lines) + "\n");

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
