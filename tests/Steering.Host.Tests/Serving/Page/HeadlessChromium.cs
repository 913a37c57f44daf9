using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using PuppeteerSharp;

namespace LlamaSteer.Host.Tests.Serving.Page;

/// <summary>
/// A real headless Chromium for the page tests, fetched the way the build fetches llama.cpp: <c>npm pack</c> of
/// <c>@sparticuz/chromium@153.0.0</c> from the npm registry, its SHA-512 checked against the pinned integrity, the
/// brotli-compressed <c>bin/chromium.br</c> inflated to the binary and <c>al2023.tar.br</c> / <c>swiftshader.tar.br</c>
/// extracted beside it, cached in <c>~/.cache/llamasteer/chromium/153.0.0</c> (or <c>$LLAMASTEER_CHROMIUM_CACHE</c>).
/// The browser is started with the flags measured to work here and driven over the DevTools protocol by PuppeteerSharp.
/// </summary>
internal sealed partial class HeadlessChromium : IAsyncDisposable
{
    public const string Package = "@sparticuz/chromium";
    public const string Version = "153.0.0";
    private const string Integrity = "jiGWqSvPMdu4+P9TilYqAR7yEGPEHINx+lCvE/NqNO/EHYzF/x1hUiI5T6ioVIt7dEy7n88byyT0vk+dnsgQwA==";

    private readonly Process _process;
    private readonly string _profile;

    private HeadlessChromium(Process process, string profile, IBrowser browser)
    {
        _process = process;
        _profile = profile;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    public static string CacheDirectory =>
        Environment.GetEnvironmentVariable("LLAMASTEER_CHROMIUM_CACHE") is { Length: > 0 } d
            ? d
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "llamasteer", "chromium", Version);

    /// <summary>Fetches the browser if the cache lacks it, starts it and connects (Linux x64: the package's build).</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public static async Task<HeadlessChromium> StartAsync()
    {
        var dir = await EnsureAsync();
        var profile = Directory.CreateTempSubdirectory("llamasteer-chromium-").FullName;
        var psi = new ProcessStartInfo(Path.Combine(dir, "chromium")) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[]
        {
            "--headless=shell", "--no-sandbox", "--no-zygote", "--single-process", "--in-process-gpu", "--use-gl=angle",
            "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-dev-shm-usage", "--no-first-run",
            "--hide-scrollbars", "--font-render-hinting=none", $"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank",
        }) psi.ArgumentList.Add(a);
        psi.Environment["LD_LIBRARY_PATH"] = $"{Path.Combine(dir, "lib")}:{dir}";
        var process = Process.Start(psi) ?? throw new InvalidOperationException("Chromium did not start.");
        _ = process.StandardOutput.ReadToEndAsync();
        var endpoint = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Text.StringBuilder();
        _ = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                lock (log) log.AppendLine(line);
                if (DevTools().Match(line) is { Success: true } m) endpoint.TrySetResult(m.Value);
            }
            endpoint.TrySetException(new InvalidOperationException($"Chromium exited before it listened: {log}"));
        });
        try
        {
            var ws = await endpoint.Task.WaitAsync(TimeSpan.FromSeconds(60));
            var browser = await Puppeteer.ConnectAsync(new ConnectOptions { BrowserWSEndpoint = ws, DefaultViewport = new ViewPortOptions { Width = 1280, Height = 860 } });
            return new HeadlessChromium(process, profile, browser);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    /// <summary>The folder holding <c>chromium</c> and its libraries, fetched and verified once per machine (guarded by a lock file).</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static async Task<string> EnsureAsync()
    {
        var dir = CacheDirectory;
        var marker = Path.Combine(dir, ".verified");
        if (File.Exists(marker) && File.Exists(Path.Combine(dir, "chromium"))) return dir;
        Directory.CreateDirectory(Path.GetDirectoryName(dir)!);
        await using var guard = await LockAsync(dir + ".lock");
        if (File.Exists(marker) && File.Exists(Path.Combine(dir, "chromium"))) return dir;

        var download = Directory.CreateTempSubdirectory("llamasteer-chromium-pack-").FullName;
        try
        {
            var npm = new ProcessStartInfo("npm") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "pack", "--silent", $"{Package}@{Version}", "--pack-destination", download }) npm.ArgumentList.Add(a);
            using (var p = Process.Start(npm)!)
            {
                var err = p.StandardError.ReadToEndAsync();
                await p.StandardOutput.ReadToEndAsync();
                await p.WaitForExitAsync();
                if (p.ExitCode != 0) throw new InvalidOperationException($"npm pack {Package}@{Version} failed: {await err}");
            }
            var tarball = Directory.GetFiles(download, "*.tgz").Single();
            await using (var hashed = File.OpenRead(tarball))
            {
                var actual = Convert.ToBase64String(await SHA512.HashDataAsync(hashed));
                if (actual != Integrity)
                    throw new InvalidOperationException($"{Package}@{Version} does not match its pinned integrity (expected sha512-{Integrity}, got sha512-{actual}). Refusing to use it.");
            }
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            Directory.CreateDirectory(dir);
            await using (var file = File.OpenRead(tarball))
            await using (var gzip = new GZipStream(file, CompressionMode.Decompress))
            await using (var tar = new TarReader(gzip))
            {
                while (await tar.GetNextEntryAsync() is { } entry)
                {
                    var name = entry.Name;
                    if (entry.DataStream is null || !name.StartsWith("package/bin/", StringComparison.Ordinal)) continue;
                    await using var brotli = new BrotliStream(entry.DataStream, CompressionMode.Decompress);
                    if (name == "package/bin/chromium.br")
                    {
                        var binary = Path.Combine(dir, "chromium");
                        await using (var output = File.Create(binary)) await brotli.CopyToAsync(output);
                        File.SetUnixFileMode(binary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
                    }
                    else if (name is "package/bin/al2023.tar.br" or "package/bin/swiftshader.tar.br")
                    {
                        await TarFile.ExtractToDirectoryAsync(brotli, dir, overwriteFiles: true);
                    }
                }
            }
            if (!File.Exists(Path.Combine(dir, "chromium"))) throw new InvalidOperationException($"{Package}@{Version} has no bin/chromium.br.");
            await File.WriteAllTextAsync(marker, $"{Package}@{Version} sha512-{Integrity}\n");
            return dir;
        }
        finally
        {
            Directory.Delete(download, recursive: true);
        }
    }

    /// <summary>An exclusive lock file, so two test processes never unpack into the cache at once.</summary>
    private static async Task<FileStream> LockAsync(string path)
    {
        for (var i = 0; ; i++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (i < 600)
            {
                await Task.Delay(500);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Browser.CloseAsync();
        }
        catch (Exception e) when (e is PuppeteerException or IOException or ObjectDisposedException)
        {
            // The browser may already be gone; the process is ended below either way.
        }
        Browser.Dispose();
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [GeneratedRegex(@"ws://[^\s]+")]
    private static partial Regex DevTools();
}
