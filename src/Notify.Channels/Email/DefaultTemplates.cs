namespace Notify.Channels.Email;

/// <summary>The built-in Liquid templates, used for every part no file overrides: email works with zero template files.
/// The model is documented in docs/channels-email.md.</summary>
internal static class DefaultTemplates
{
    public const string Subject = "{{ notification.title | default: notification.category }}";

    public const string Text = """
        {{ notification.title | default: notification.category }}
        {%- if notification.body %}

        {{ notification.body }}
        {%- endif %}
        {%- if notification.url %}

        Open: {{ notification.url }}
        {%- endif %}

        --
        Sent by Notify because this {{ notification.category }} notification was not seen on your devices.
        """;

    // Inline styles and presentation tables because mail clients drop <style> and most of CSS layout; role="presentation"
    // keeps screen readers from announcing the layout tables; lang comes from the user's locale.
    public const string Html = """
        <!DOCTYPE html>
        <html lang="{{ user.locale | default: 'en' }}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="color-scheme" content="light">
        <title>{{ subject }}</title>
        </head>
        <body style="margin:0;padding:0;background-color:#f4f5f7;">
        <div role="article" aria-roledescription="email" aria-label="{{ subject }}" lang="{{ user.locale | default: 'en' }}">
        <table role="presentation" width="100%" cellspacing="0" cellpadding="0" border="0" style="background-color:#f4f5f7;">
        <tr><td align="center" style="padding:24px 12px;">
        <table role="presentation" width="100%" cellspacing="0" cellpadding="0" border="0" style="max-width:560px;background-color:#ffffff;border-radius:8px;">
        <tr><td style="padding:32px;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;color:#1f2328;">
        {%- if notification.priority == 'high' or notification.priority == 'critical' %}
        <p style="margin:0 0 8px;font-size:14px;font-weight:600;color:#b42318;">Important</p>
        {%- endif %}
        <h1 style="margin:0 0 16px;font-size:22px;line-height:1.3;font-weight:600;color:#1f2328;">{{ notification.title | default: notification.category }}</h1>
        {%- if notification.body %}
        <p style="margin:0 0 24px;white-space:pre-wrap;">{{ notification.body }}</p>
        {%- endif %}
        {%- if notification.url %}
        <p style="margin:0 0 8px;"><a href="{{ notification.url }}" aria-label="Open: {{ notification.title | default: notification.category }}" style="display:inline-block;padding:12px 20px;background-color:#0b57d0;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600;">Open</a></p>
        {%- endif %}
        </td></tr>
        </table>
        <p style="max-width:560px;margin:16px auto 0;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:13px;line-height:1.5;color:#57606a;">Sent by Notify because this {{ notification.category }} notification was not seen on your devices.</p>
        </td></tr>
        </table>
        </div>
        </body>
        </html>
        """;
}
