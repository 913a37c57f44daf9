using System.Runtime.InteropServices;
using ELFSharp.ELF;
using ELFSharp.ELF.Sections;

namespace LlamaSteer.Native.Runtime;

/// <summary>
/// Which libraries an ELF shared library needs (its DT_NEEDED entries) and which of those this machine cannot
/// load: dlopen names only the first missing one, a user installing a GPU runtime wants them all at once.
/// </summary>
internal static class SharedLibraryDependencies
{
    /// <summary>The DT_NEEDED names of <paramref name="path"/>, in file order; empty when it is not a readable ELF file.</summary>
    public static IReadOnlyList<string> Needed(string path)
    {
        if (!ELFReader.TryLoad(path, out var elf)) return [];
        using (elf)
        {
            var dynamic = elf.Sections.OfType<IDynamicSection>().FirstOrDefault();
            if (dynamic is null || !elf.TryGetSection(".dynstr", out var section) || section is not IStringTable strings) return [];
            var names = new List<string>();
            foreach (var entry in dynamic.Entries)
            {
                if (entry.Tag != DynamicTag.Needed) continue;
                long offset = entry switch
                {
                    DynamicEntry<ulong> e => (long)e.Value,
                    DynamicEntry<uint> e => e.Value,
                    _ => -1,
                };
                if (offset >= 0) names.Add(strings[offset]);
            }
            return names;
        }
    }

    /// <summary>
    /// The needed libraries of <paramref name="path"/> that neither lie beside it (its RUNPATH is $ORIGIN) nor load
    /// by name from the system's search path.
    /// </summary>
    public static IReadOnlyList<string> Missing(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var missing = new List<string>();
        foreach (var name in Needed(path))
        {
            if (File.Exists(Path.Combine(folder, name))) continue;
            if (NativeLibrary.TryLoad(name, out var handle))
            {
                NativeLibrary.Free(handle);
                continue;
            }
            missing.Add(name);
        }
        return missing;
    }
}
