using System.Reflection;
using System.Runtime.InteropServices;
using LlamaSteer.Native.Interop;

namespace LlamaSteer.Native.Runtime;

/// <summary>
/// Finds, loads and checks the pinned llama.cpp runtime (release <see cref="ExpectedRelease"/>).
/// One DllImport resolver serves every import of this assembly; the configuration freezes at the
/// first load. Loading checks the release string and that every symbol the binding imports is
/// exported, and refuses a mismatch with a message that says what was found and what to do.
/// Thread-safe.
/// </summary>
public static unsafe class NativeRuntime
{
    /// <summary>The llama.cpp release this binding mirrors (node-llama-cpp 3.22.1).</summary>
    public const string ExpectedRelease = "0.5.0";

    private static readonly object Gate = new();
    private static NativeRuntimeOptions _options = new();
    private static NativeRuntimeInfo? _info;
    private static NativeRuntimeException? _failure;
    private static readonly Dictionary<string, IntPtr> Handles = new();
    private static readonly string[] LibraryNamesInLoadOrder = [LibraryNames.GgmlBase, LibraryNames.Ggml, LibraryNames.Llama];

    // The resolver must be in place before any import of this assembly binds, whoever calls first.
#pragma warning disable CA2255
    [System.Runtime.CompilerServices.ModuleInitializer]
#pragma warning restore CA2255
    internal static void InstallResolver() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeRuntime).Assembly, Resolve);

    /// <summary>Sets the options. Must be called before anything native runs.</summary>
    /// <exception cref="InvalidOperationException">The runtime is already loaded.</exception>
    public static void Configure(NativeRuntimeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (Gate)
        {
            if (_info is not null || _failure is not null)
            {
                if (options == _options) return;
                throw new InvalidOperationException("The llama.cpp runtime is already loaded; configure it before the first model is opened.");
            }
            _options = options;
        }
    }

    /// <summary>Loads and checks the runtime once; later calls return the same result or rethrow the same failure.</summary>
    /// <exception cref="NativeRuntimeException">Not found, wrong release, or missing symbols.</exception>
    public static NativeRuntimeInfo EnsureLoaded()
    {
        if (_info is not null) return _info;
        lock (Gate)
        {
            if (_info is not null) return _info;
            if (_failure is not null) throw _failure;
            try
            {
                _info = Load(_options);
                return _info;
            }
            catch (NativeRuntimeException e)
            {
                _failure = e;
                throw;
            }
        }
    }

    /// <summary>The folders searched, in order, for the given options.</summary>
    public static IReadOnlyList<string> SearchDirectories(NativeRuntimeOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.LibraryDirectory)) return [Path.GetFullPath(options.LibraryDirectory)];
        var fromEnv = Environment.GetEnvironmentVariable(NativeRuntimeOptions.LibraryDirectoryVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv)) return [Path.GetFullPath(fromEnv)];
        return [Path.Combine(AppContext.BaseDirectory, "native"), AppContext.BaseDirectory];
    }

    private static NativeRuntimeInfo Load(NativeRuntimeOptions options)
    {
        var searched = SearchDirectories(options);
        string? dir = null;
        RuntimeLayout? layout = null;
        foreach (var d in searched)
        {
            layout = RuntimeLayout.Detect(d);
            if (layout is null) continue;
            dir = d;
            break;
        }
        if (dir is null || layout is null)
            throw new NativeRuntimeException(
                $"The llama.cpp runtime was not found. Searched: {string.Join(", ", searched)}. " +
                $"Build the solution (`dotnet build` fetches the pinned runtime into bin/.../native/), or set {NativeRuntimeOptions.LibraryDirectoryVariable} " +
                $"to a folder with libllama, libggml and libggml-base of llama.cpp release {ExpectedRelease}.");

        foreach (var name in LibraryNamesInLoadOrder)
        {
            var file = Path.Combine(dir, layout.FileFor(name)!);
            if (!File.Exists(file))
                throw new NativeRuntimeException($"{dir} has {layout.LlamaFile} ({layout.Name}) but no {Path.GetFileName(file)}; the runtime there is incomplete.");
            try
            {
                Handles[name] = NativeLibrary.Load(file);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                var missing = SharedLibraryDependencies.Missing(file);
                throw new NativeRuntimeException(missing.Count > 0
                    ? $"Could not load {file}: it needs {string.Join(", ", missing)}, not found on this machine."
                    : $"Could not load {file}: {e.Message}", e);
            }
        }

        var version = ReadVersion();
        if (!version.StartsWith(ExpectedRelease, StringComparison.Ordinal))
            throw new NativeRuntimeException(
                $"The llama.cpp runtime in {dir} is release '{version}', but LlamaSteer binds release {ExpectedRelease} (node-llama-cpp 3.22.1); " +
                "its structs and functions may differ. Point LlamaSteer at a build of that release, or unset " +
                $"{NativeRuntimeOptions.LibraryDirectoryVariable} to use the runtime fetched by the build.");

        var missingSymbols = MissingSymbols();
        if (missingSymbols.Count > 0)
            throw new NativeRuntimeException($"The llama.cpp runtime in {dir} lacks symbols LlamaSteer needs: {string.Join(", ", missingSymbols)}.");

        NativeLog.Install(options.LoggerFactory);
        var problems = BackendProbe.LoadAll(dir);
        LlamaNative.BackendInit();

        return new NativeRuntimeInfo(dir, version, BackendProbe.RegisteredNames(), ListDevices(), Utf8(LlamaNative.PrintSystemInfo()))
        {
            Layout = layout,
            BackendProblems = problems,
        };
    }

    private static string ReadVersion()
    {
        if (!NativeLibrary.TryGetExport(Handles[LibraryNames.Llama], "llama_version", out _)) return "unknown (no llama_version export)";
        return Utf8(LlamaNative.Version());
    }

    private static List<string> MissingSymbols()
    {
        var missing = new List<string>();
        foreach (var type in new[] { typeof(LlamaNative), typeof(GgmlNative), typeof(GgmlBaseNative) })
        {
            foreach (var method in type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            {
                var import = method.GetCustomAttribute<LibraryImportAttribute>();
                if (import is null) continue;
                var symbol = import.EntryPoint ?? method.Name;
                if (!NativeLibrary.TryGetExport(Handles[import.LibraryName], symbol, out _)) missing.Add(symbol);
            }
        }
        return missing;
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (!LibraryNamesInLoadOrder.Contains(libraryName)) return IntPtr.Zero;
        lock (Gate)
        {
            // While Load runs (same thread, re-entrant lock) the handles are already in place.
            if (Handles.TryGetValue(libraryName, out var handle)) return handle;
        }
        EnsureLoaded();
        return Handles[libraryName];
    }

    private static List<ComputeDevice> ListDevices()
    {
        var list = new List<ComputeDevice>();
        for (nuint i = 0; i < GgmlNative.BackendDevCount(); i++)
        {
            var dev = GgmlNative.BackendDevGet(i);
            nuint free, total;
            GgmlBaseNative.BackendDevMemory(dev, &free, &total);
            list.Add(new ComputeDevice(
                Utf8(GgmlBaseNative.BackendDevName(dev)),
                Utf8(GgmlBaseNative.BackendDevDescription(dev)),
                (ComputeDeviceKind)GgmlBaseNative.BackendDevType(dev), free, total,
                Utf8(GgmlBaseNative.BackendRegName(GgmlBaseNative.BackendDevBackendReg(dev)))));
        }
        return list;
    }

    internal static string Utf8(byte* s) => s == null ? "" : Marshal.PtrToStringUTF8((IntPtr)s) ?? "";
}
