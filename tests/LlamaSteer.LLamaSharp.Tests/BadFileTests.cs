using LlamaSteer.Vectors;

namespace LlamaSteer.LLamaSharp.Tests;

/// <summary>Bad vector files and specs get the message <c>llamasteer generate --vector</c> prints for them.</summary>
[TestFixture]
public class BadFileTests
{
    private static IEnumerable<TestCaseData> Cases()
    {
        yield return new TestCaseData((Func<string>)(() => Path.Combine(Models.Folder, "nope.gguf"))).SetName("a missing file");
        yield return new TestCaseData((Func<string>)(() =>
        {
            var path = Path.Combine(Models.Folder, "garbage.gguf");
            File.WriteAllText(path, "this is not a GGUF file at all");
            return path;
        })).SetName("a file that is not GGUF");
        yield return new TestCaseData((Func<string>)(() =>
        {
            var path = Path.Combine(Models.Folder, "wide.gguf");
            ControlVectorFile.Write(new SteeringVector(32, new Dictionary<int, float[]> { [1] = Enumerable.Repeat(1f, 32).ToArray() }), path);
            return path;
        })).SetName("a vector for another n_embd");
        yield return new TestCaseData((Func<string>)(() => Models.Mood + ":abc")).SetName("a strength that is not a number");
        yield return new TestCaseData((Func<string>)(() => Models.Mood + "@7-9")).SetName("layers outside the model");
    }

    [TestCaseSource(nameof(Cases))]
    public void TheMessageIsLlamasteers(Func<string> makeSpec)
    {
        var spec = makeSpec();
        var expected = LlamaSteerCli.Failure("generate", "-m", Models.Path, "-t", "1", "-c", Models.ContextSize.ToString(), "-p", "Tim felt", "-n", "4", "--vector", spec);
        var e = Assert.Catch(() => ControlVectors.Load(Models.Weights, spec));
        Assert.That(e, Is.InstanceOf<ArgumentException>().Or.InstanceOf<IOException>().Or.InstanceOf<LlamaSteer.Errors.LlamaSteerException>());
        Assert.That(e!.Message, Is.EqualTo(expected));
    }

    [Test]
    public void Layer0IsRefusedForTheContextWideVector()
    {
        // Files cannot hold layer 0, but a vector made in memory can; llama.cpp's control vector starts at layer 1.
        var direction = ControlVectorFile.Read(Models.Mood, 64).Direction(1).ToArray();
        var vector = new SteeringVector(64, new Dictionary<int, float[]> { [0] = direction, [1] = direction });
        var e = Assert.Throws<ArgumentException>(() => ControlVectors.From(Models.Weights, [new Steering.VectorTerm(vector, 2, Name: "layer0")]));
        Assert.That(e!.Message, Does.StartWith("layer0 steers layer 0, which llama.cpp's control vectors cannot reach"));
    }
}
