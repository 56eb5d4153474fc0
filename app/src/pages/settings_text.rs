//! The Settings page's own strings, in the Settings page's lazy module rather than the first load
//! (`crate::i18n::area_messages!`).

crate::i18n::area_messages! {
    SettingsText {
        ErrNotRemembered => "This choice applies now, but this browser did not save it (cookies may be blocked).", "Esta opción se aplica ahora, pero este navegador no la guardó (puede que las cookies estén bloqueadas).", "此选择已生效，但浏览器未保存（可能阻止了 Cookie）。";
        SettingsTitle => "Settings", "Ajustes", "设置";
        SignedInAs => "Signed in as", "Sesión iniciada como", "当前登录";
        SignOut => "Sign out", "Cerrar sesión", "退出登录";
        Appearance => "Appearance", "Apariencia", "外观";
        Theme => "Theme", "Tema", "主题";
        ThemeSystem => "System", "Sistema", "跟随系统";
        ThemeLight => "Light", "Claro", "浅色";
        ThemeDark => "Dark", "Oscuro", "深色";
        Language => "Language", "Idioma", "语言";
        AudioTitle => "Audio", "Audio", "音频";
        Microphone => "Microphone", "Micrófono", "麦克风";
        DevicesHidden => "Device names appear after you allow the microphone (test it below).", "Los nombres de los dispositivos aparecen al permitir el micrófono (pruébelo abajo).", "允许使用麦克风后会显示设备名称（可在下方测试）。";
        TestMic => "Test microphone", "Probar micrófono", "测试麦克风";
        StopTest => "Stop test", "Detener prueba", "停止测试";
        DefaultCountry => "Country for numbers typed without +", "País para números sin +", "未带 + 号码的默认国家";
        RecordingSetting => "Call recording", "Grabación de llamadas", "通话录音";
        RecordAlways => "Record every call", "Grabar todas las llamadas", "录制所有通话";
        RecordAskEach => "Ask on each call", "Preguntar en cada llamada", "每次通话时询问";
        RecordNever => "Never record", "No grabar nunca", "从不录音";
        RecordingHint => "The other party hears a short beep when recording starts. Recordings are kept for a limited time, then deleted.", "La otra parte oye un pitido breve cuando empieza la grabación. Las grabaciones se guardan un tiempo limitado y luego se eliminan.", "开始录音时对方会听到一声短促的提示音。录音保留一段时间后会被删除。";
        ConfirmCallsSetting => "Calls from integrations", "Llamadas desde integraciones", "来自集成的呼叫";
        ConfirmCallsAsk => "Ask before calls from integrations", "Preguntar antes de llamadas desde integraciones", "来自集成的呼叫前先询问";
        ConfirmCallsHint => "A call placed by another app (click to dial) waits for you to press Call here before the microphone opens; without an answer in 30 s it is cancelled.", "Una llamada hecha por otra aplicación (clic para llamar) espera a que pulse Llamar aquí antes de abrir el micrófono; sin respuesta en 30 s se cancela.", "由其他应用发起的呼叫（点击拨号）会等待您在此按下“呼叫”后才打开麦克风；30 秒内无应答则取消。";
        DoNotDisturbSetting => "Incoming calls", "Llamadas entrantes", "来电";
        DoNotDisturbOn => "Do not disturb", "No molestar", "勿扰";
        DoNotDisturbHint => "Calls to the business's numbers do not ring for you; they ring the other agents, or show as missed.", "Las llamadas a los números de la empresa no suenan para usted; suenan a los demás agentes o quedan como perdidas.", "拨打公司号码的来电不会为您响铃；会转给其他坐席，或显示为未接。";
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_translation_is_present_and_keeps_the_placeholders() {
        crate::i18n::tests::check_translations(super::SettingsText::ALL);
    }
}
