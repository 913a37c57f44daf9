using System.Runtime.InteropServices;
using System.Text;
using LlamaSteer.Native.Interop;
using LlamaSteer.Native.Runtime;

namespace LlamaSteer.Native.SafeHandles;

/// <summary>llama.cpp's built-in chat template engine (<c>llama_chat_apply_template</c>).</summary>
public static unsafe class ChatTemplates
{
    /// <summary>
    /// Formats messages with a template: either the Jinja text of a model's template, which llama.cpp
    /// recognises by its markers, or the name of a built-in one ("chatml", "llama3", "gemma", ...).
    /// </summary>
    /// <exception cref="NativeCallException">llama.cpp does not support the template.</exception>
    public static string Apply(string template, IReadOnlyList<(string Role, string Content)> messages, bool addAssistantPrefix)
    {
        NativeRuntime.EnsureLoaded();
        var handles = new List<IntPtr>();
        try
        {
            IntPtr Utf8Z(string s)
            {
                var p = Marshal.StringToCoTaskMemUTF8(s);
                handles.Add(p);
                return p;
            }
            var msgs = new LlamaChatMessage[messages.Count];
            for (var i = 0; i < messages.Count; i++)
                msgs[i] = new LlamaChatMessage { Role = (byte*)Utf8Z(messages[i].Role), Content = (byte*)Utf8Z(messages[i].Content) };
            var tmpl = (byte*)Utf8Z(template);
            var capacity = 256 + messages.Sum(m => m.Content.Length * 2 + 64);
            while (true)
            {
                var buf = new byte[capacity];
                int n;
                fixed (LlamaChatMessage* m = msgs)
                fixed (byte* b = buf)
                    n = LlamaNative.ChatApplyTemplate(tmpl, m, (nuint)msgs.Length, addAssistantPrefix ? (byte)1 : (byte)0, b, capacity);
                if (n < 0) throw new NativeCallException("llama.cpp does not support this chat template; pass a built-in template name such as 'chatml', 'llama3' or 'gemma'.");
                if (n <= capacity) return Encoding.UTF8.GetString(buf, 0, n);
                capacity = n;
            }
        }
        finally
        {
            foreach (var h in handles) Marshal.FreeCoTaskMem(h);
        }
    }
}
