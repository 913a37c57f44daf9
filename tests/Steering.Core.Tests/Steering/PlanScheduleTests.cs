using LlamaSteer.Inference;
using LlamaSteer.Steering;
using LlamaSteer.Vectors;
using static LlamaSteer.Core.Tests.Steering.HandMadeVectors;

namespace LlamaSteer.Core.Tests.Steering;

/// <summary>
/// <see cref="PlanSchedule"/> driven directly, without llama.cpp, over residual rows held in memory: every number it
/// reports and every row it writes is worked out here by hand from the rows given. The engine-level tests (WindowTests,
/// PlanTests, LivePlanTests) run the same code inside a real decode; these pin down the per-token report (which entries
/// have one, averages over layers, the ablate and clamp coefficients), the layer and row bounds, and how the rows are
/// copied.
/// </summary>
[TestFixture]
public class PlanScheduleTests
{
    private const int Embd = 4;
    private const int LayerCount = 4;

    /// <summary>The rows of one l_out tensor, with a count of the copies in and out.</summary>
    private sealed class Rows(string name, float[] data, bool contiguous = true, long rowLength = Embd)
    {
        public float[] Data { get; } = data;
        public List<(int First, int Count)> Reads { get; } = [];
        public int Writes { get; set; }
        public string Name => name;
        public bool Contiguous => contiguous;
        public long RowLength => rowLength;
        public long RowCount => Data.Length / Embd;
        public float[] Row(int r) => Data.AsSpan(r * Embd, Embd).ToArray();
    }

    private readonly struct RowsView(Rows rows) : IResidualRows
    {
        public string Name => rows.Name;
        public long RowLength => rows.RowLength;
        public long RowCount => rows.RowCount;
        public bool IsContiguousF32 => rows.Contiguous;

        public void ReadRows(int firstRow, int count, Span<float> destination)
        {
            ResidualRowBounds.Check(Name, RowCount, firstRow, count);
            rows.Reads.Add((firstRow, count));
            rows.Data.AsSpan(firstRow * Embd, count * Embd).CopyTo(destination);
        }

        public void WriteRows(int firstRow, int count, ReadOnlySpan<float> source)
        {
            ResidualRowBounds.Check(Name, RowCount, firstRow, count);
            rows.Writes++;
            source.CopyTo(rows.Data.AsSpan(firstRow * Embd, count * Embd));
        }
    }


    /// <summary>Rows 1, 2, 3...: row r is (r + 1, 2(r + 1), -(r + 1), 0.5).</summary>
    private static Rows Tensor(int rowCount, string name = "l_out-1") =>
        new(name, Enumerable.Range(0, rowCount).SelectMany(r => new[] { r + 1f, 2f * (r + 1), -(r + 1f), 0.5f }).ToArray());

    private static float Dot(float[] a, float[] b) => a.Zip(b, (x, y) => x * y).Sum();

    private static float[] Unit(float[] d)
    {
        var n = MathF.Sqrt(Dot(d, d));
        return d.Select(v => v / n).ToArray();
    }

    private static void Apply(PlanSchedule schedule, int layer, Rows rows) => schedule.Apply(layer, new RowsView(rows));

    [Test]
    public void OnlyEntriesWithAPlanThatProduceOutputHaveAReport()
    {
        var plan = new SteeringPlan([new SteeringTerm(Vector((1, [1, 0, 0, 0])), 2f)]);
        var schedule = new PlanSchedule(LayerCount, Embd);
        var batch = new TokenBatch();
        batch.Add(5, 0, sequence: 0);                 // entry 0: prompt row of the steered sequence, no output
        batch.Add(6, 1, sequence: 0, output: true);   // entry 1: its output row
        batch.Add(7, 0, sequence: 1, output: true);   // entry 2: output of a sequence without a plan
        batch.Add(8, 1, sequence: 0, output: true);   // entry 3: another output row of the steered sequence

        schedule.Prepare(batch, new Dictionary<int, SequenceSteering> { [0] = new(plan, 1) });
        Apply(schedule, 1, Tensor(4));

        Assert.Multiple(() =>
        {
            Assert.That(schedule.Report(0), Is.Null, "a row that produces no output");
            Assert.That(schedule.Report(2), Is.Null, "a sequence without a plan");
            Assert.That(schedule.Report(1)!.Applied, Is.EqualTo(new[] { 2f }));
            Assert.That(schedule.Report(3)!.Applied, Is.EqualTo(new[] { 2f }));
            Assert.That(schedule.Report(1)!.Projection, Is.EqualTo(new[] { 2f }), "h·û of row 1 before the add: (2, 4, -2, .5)·e0");
            Assert.That(schedule.Report(3)!.Projection, Is.EqualTo(new[] { 4f }));
            Assert.That(schedule.Report(-1), Is.Null);
            Assert.That(schedule.Report(4), Is.Null, "one past the last entry");
        });
    }

    [Test]
    public void ReportsOfRowsThatProduceNoOutputDoNotLeakIntoAnotherEntrysReport()
    {
        // Two terms on the prompt rows too: a row without output must not add to any report slot.
        var a = Vector((1, [1, 0, 0, 0]), (2, [0, 1, 0, 0]));
        var plan = new SteeringPlan([new SteeringTerm(a, 1f), new SteeringTerm(a, 3f, LayerSet.Of([2])) { Name = "second" }]);
        var schedule = new PlanSchedule(LayerCount, Embd);
        var batch = new TokenBatch();
        batch.AddSequence([1, 2, 3], 0, sequence: 0, outputLast: true);

        schedule.Prepare(batch, new Dictionary<int, SequenceSteering> { [0] = new(plan, 3) });
        var l1 = Tensor(3);
        var l2 = Tensor(3, "l_out-2");
        Apply(schedule, 1, l1);
        Apply(schedule, 2, l2);

        var report = schedule.Report(2)!;
        // Term 1 steers layers 1 and 2 with strength 1: applied 1 on each; projections h·e0 at layer 1 = 3, h·e1 at layer 2 = 6.
        Assert.That(report.Applied, Is.EqualTo(new[] { 1f, 3f }));
        Assert.That(report.Projection, Is.EqualTo(new[] { (3f + 6f) / 2, 6f + 1f }), "layer 2's second term sees the first term's add");
    }

    [Test]
    public void AReportAveragesOverTheTermsLayersAndReadsZeroAndNaNOutsideItsWindow()
    {
        var v = Vector((1, [0, 0, 2, 0]), (2, [0, 0, 0, 1]));
        var plan = new SteeringPlan([
            new SteeringTerm(v, 0.5f),
            new SteeringTerm(v, 7f, Window: TokenWindow.Prompt),
        ]);
        var schedule = new PlanSchedule(LayerCount, Embd);
        var batch = new TokenBatch();
        batch.Add(9, 4, sequence: 2, output: true);
        schedule.Prepare(batch, new Dictionary<int, SequenceSteering> { [2] = new(plan, PromptLength: 4) });
        Apply(schedule, 1, Tensor(1));
        Apply(schedule, 2, Tensor(1, "l_out-2"));

        var report = schedule.Report(0)!;
        Assert.Multiple(() =>
        {
            Assert.That(report.Applied[0], Is.EqualTo(0.5f));
            Assert.That(report.Projection[0], Is.EqualTo((-1f + 0.5f) / 2), "h·û is −1 at layer 1 and 0.5 at layer 2");
            Assert.That(report.Applied[1], Is.Zero, "a generated row is outside the prompt window");
            Assert.That(report.Projection[1], Is.NaN);
        });
    }

    [Test]
    public void AblateAndClampReportTheCoefficientTheyApplied()
    {
        var direction = new[] { 3f, 0, 4, 0 };
        var v = Vector((1, direction));
        var u = Unit(direction);
        var schedule = new PlanSchedule(LayerCount, Embd);
        var batch = new TokenBatch();
        batch.Add(1, 0, sequence: 0, output: true);
        batch.Add(1, 0, sequence: 1, output: true);
        schedule.Prepare(batch, new Dictionary<int, SequenceSteering>
        {
            [0] = new(new SteeringPlan([new SteeringTerm(v, 0, Operator: SteeringOperator.Ablate)]), 0),
            [1] = new(new SteeringPlan([new SteeringTerm(v, 2.5f, Operator: SteeringOperator.Clamp)]), 0),
        });
        var rows = Tensor(2);
        var before = new[] { rows.Row(0), rows.Row(1) };
        Apply(schedule, 1, rows);

        var p0 = Dot(before[0], u);
        var p1 = Dot(before[1], u);
        Assert.Multiple(() =>
        {
            Assert.That(schedule.Report(0)!.Applied[0], Is.EqualTo(-p0).Within(1e-5), "ablate: −h·û");
            Assert.That(schedule.Report(0)!.Projection[0], Is.EqualTo(p0).Within(1e-5));
            Assert.That(schedule.Report(1)!.Applied[0], Is.EqualTo(2.5f - p1).Within(1e-5), "clamp: t − h·û");
            Assert.That(schedule.Report(1)!.Projection[0], Is.EqualTo(p1).Within(1e-5));
            Assert.That(Dot(rows.Row(0), u), Is.EqualTo(0).Within(1e-5));
            Assert.That(Dot(rows.Row(1), u), Is.EqualTo(2.5f).Within(1e-5));
        });
    }

    [Test]
    public void EveryLayerOfTheModelCanBeWantedAndNoneBeyondIt()
    {
        var v = Vector((0, [1, 0, 0, 0]), (LayerCount - 1, [0, 1, 0, 0]));
        var schedule = new PlanSchedule(LayerCount, Embd);
        var batch = new TokenBatch();
        batch.Add(1, 0, sequence: 0, output: true);
        schedule.Prepare(batch, new Dictionary<int, SequenceSteering> { [0] = new(new SteeringPlan([new SteeringTerm(v, 1f)]), 0) });

        Assert.That(Enumerable.Range(-1, LayerCount + 2).Select(schedule.Wants),
            Is.EqualTo(new[] { false, true, false, false, true, false }), "layers -1..4 of a four-layer model");
    }

    [Test]
    public void EachRunOfConsecutiveRowsIsCopiedOnceEachWay()
    {
        var v = Vector((1, [1, 1, 1, 1]));
        var plan = new SteeringPlan([new SteeringTerm(v, 1f), new SteeringTerm(v, 2f)]);
        var schedule = new PlanSchedule(LayerCount, Embd);
        var batch = new TokenBatch();
        batch.AddSequence([1, 2, 3], 0, sequence: 0, outputLast: true); // rows 0-2
        batch.Add(4, 0, sequence: 1, output: true);                      // row 3: not steered
        batch.AddSequence([5, 6], 0, sequence: 2, outputLast: true);     // rows 4-5
        var plans = new Dictionary<int, SequenceSteering> { [0] = new(plan, 3), [2] = new(plan, 2) };
        schedule.Prepare(batch, plans);
        var rows = Tensor(6);
        var before = Enumerable.Range(0, 6).Select(rows.Row).ToArray();
        Apply(schedule, 1, rows);

        Assert.Multiple(() =>
        {
            Assert.That(rows.Reads, Is.EqualTo(new[] { (0, 3), (4, 2) }));
            Assert.That(rows.Writes, Is.EqualTo(2));
            foreach (var r in new[] { 0, 1, 2, 4, 5 })
                Assert.That(rows.Row(r), Is.EqualTo(before[r].Select(x => x + 3f).ToArray()), $"row {r}: both terms added");
            Assert.That(rows.Row(3), Is.EqualTo(before[3]), "the unsteered sequence's row");
        });
    }

    [Test]
    public void ATensorThatIsNotContiguousF32OfNEmbdRowsOrHasTooFewRowsIsRefused()
    {
        var v = Vector((1, [1, 0, 0, 0]));
        var schedule = new PlanSchedule(LayerCount, Embd);
        var batch = new TokenBatch();
        batch.AddSequence([1, 2, 3], 0, sequence: 0, outputLast: true);
        schedule.Prepare(batch, new Dictionary<int, SequenceSteering> { [0] = new(new SteeringPlan([new SteeringTerm(v, 1f)]), 3) });

        var data = new float[3 * Embd];
        Assert.Multiple(() =>
        {
            Assert.That(() => Apply(schedule, 1, new Rows("l_out-1", data, contiguous: false)),
                Throws.InvalidOperationException.With.Message.EqualTo("l_out-1 is not a contiguous F32 [n_embd, tokens] tensor; cannot steer it."));
            Assert.That(() => Apply(schedule, 1, new Rows("l_out-1", data, rowLength: Embd + 1)),
                Throws.InvalidOperationException.With.Message.Contains("not a contiguous F32"));
            Assert.That(() => Apply(schedule, 1, new Rows("l_out-1", new float[2 * Embd])),
                Throws.InvalidOperationException.With.Message.EqualTo("l_out-1 has 2 rows but the plan expects row 2; llama.cpp split or reordered the batch."));
        });
    }

    [Test]
    public void RowsOutsideATensorAreRefusedBeforeAnyCopy()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => ResidualRowBounds.Check("l_out-3", 4, 0, 4), Throws.Nothing);
            Assert.That(() => ResidualRowBounds.Check("l_out-3", 4, 4, 0), Throws.Nothing);
            Assert.That(() => ResidualRowBounds.Check("l_out-3", 4, 3, 2),
                Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.StartsWith("Rows 3 to 4 are outside l_out-3, which has 4 rows."));
            Assert.That(() => ResidualRowBounds.Check("l_out-3", 4, -1, 1),
                Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.StartsWith("Rows -1 to -1 are outside"));
            Assert.That(() => ResidualRowBounds.Check("l_out-3", 4, 2, -1), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => ResidualRowBounds.Check("l_out-3", 4, 1, int.MaxValue), Throws.InstanceOf<ArgumentOutOfRangeException>(), "no overflow");
        });
    }
}
