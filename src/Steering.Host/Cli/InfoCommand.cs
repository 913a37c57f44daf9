using System.CommandLine;
using LlamaSteer.Native.Runtime;
using LlamaSteer.Planning;

namespace LlamaSteer.Host.Cli;

/// <summary><c>llamasteer info</c>: what a model is and which runtime and devices run it.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var command = new Command("info", "Print a model's architecture, sizes, layers, n_embd, context, chat template, and the backend and devices");
        common.AddTo(command);
        var vram = MemoryReport.VramOption();
        command.Options.Add(vram);
        command.SetAction((parse, ct) => ErrorReporter.Report(() =>
        {
            long? vramBytes = parse.GetValue(vram) is { } v ? MemoryReport.ParseSize(v) : null;
            using var capture = NativeLog.Capture();
            using var model = common.LoadModel(parse, ct);
            using var ctx = model.CreateContext(common.ContextOptions(parse));
            capture.Dispose();
            var i = model.Info;
            var rt = NativeRuntime.EnsureLoaded();
            var o = Console.Out;
            o.WriteLine($"model           {i.Path}");
            o.WriteLine($"name            {i.Name ?? "(none)"}");
            o.WriteLine($"architecture    {i.Architecture}");
            o.WriteLine($"description     {i.Description}");
            o.WriteLine($"parameters      {i.ParameterCount:N0}");
            o.WriteLine($"size            {i.SizeBytes:N0} bytes");
            o.WriteLine($"layers          {i.LayerCount}");
            o.WriteLine($"n_embd          {i.EmbeddingSize}");
            o.WriteLine($"heads           {i.HeadCount} ({i.KvHeadCount} KV)");
            o.WriteLine($"vocabulary      {i.VocabularySize}");
            o.WriteLine($"context         {i.TrainedContextLength} trained, {ctx.Size} in this context");
            o.WriteLine($"threads         {ctx.Threads}");
            o.WriteLine($"chat template   {(i.ChatTemplate is null ? "(none)" : Shorten(i.ChatTemplate))}");
            RuntimeReport.Write(o, rt);
            o.WriteLine($"cpu features    {rt.SystemInfo}");
            var estimate = MemoryEstimate.For(i.Path, new MemoryRequest(ctx.Size, ctx.MaxSequences, ctx.BatchSize));
            MemoryReport.Write(o, estimate, MeasuredAllocations.Parse(capture.Lines), vramBytes);
            return Task.FromResult(ErrorReporter.Ok);
        }));
        return command;
    }

    private static string Shorten(string s)
    {
        var one = s.ReplaceLineEndings(" ");
        return one.Length <= 100 ? one : one[..97] + "...";
    }
}
