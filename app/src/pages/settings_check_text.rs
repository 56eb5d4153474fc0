//! The pre-call check's strings, in the Settings page's lazy module rather than the first load
//! (`crate::i18n::area_messages!`).

crate::i18n::area_messages! {
    CheckText {
        Title => "Pre-call check", "Comprobación antes de llamar", "通话前检查";
        Hint => "Before calling: hear the test sound, watch the microphone level move as you speak (above), and test your connection to the phone service.", "Antes de llamar: escuche el sonido de prueba, vea moverse el nivel del micrófono al hablar (arriba) y pruebe su conexión con el servicio telefónico.", "通话前：听测试音，说话时观察上方的麦克风音量变化，并测试与电话服务的连接。";
        PlaySound => "Play test sound", "Reproducir sonido de prueba", "播放测试音";
        SoundPlayed => "You should hear two short beeps in your speaker or headset.", "Debería oír dos pitidos cortos en el altavoz o los auriculares.", "您应该会在扬声器或耳机中听到两声短促的提示音。";
        SoundFailed => "This browser could not play the test sound.", "Este navegador no pudo reproducir el sonido de prueba.", "此浏览器无法播放测试音。";
        TestConnection => "Test connection", "Probar conexión", "测试连接";
        Testing => "Testing your connection… {seconds} of {total} s", "Probando su conexión… {seconds} de {total} s", "正在测试您的连接…… {seconds}/{total} 秒";
        Good => "Good: calls should sound clear.", "Buena: las llamadas deberían oírse con claridad.", "良好：通话应该清晰。";
        Fair => "Fair: calls may sound delayed or choppy at times.", "Regular: las llamadas pueden oírse con retraso o entrecortadas a ratos.", "一般：通话有时可能出现延迟或断续。";
        Poor => "Poor: calls will likely break up. Try a wired connection or another network.", "Mala: es probable que las llamadas se corten. Pruebe una conexión por cable u otra red.", "较差：通话很可能断断续续。请尝试有线连接或其他网络。";
        NoAudio => "No audio came back: this network may block calls' audio. Ask your IT team, or try another network.", "No volvió ningún audio: puede que esta red bloquee el audio de las llamadas. Consulte a su equipo de TI o pruebe otra red.", "没有音频返回：此网络可能阻止通话音频。请联系您的 IT 团队，或尝试其他网络。";
        NotHere => "The connection test is not available on this server.", "La prueba de conexión no está disponible en este servidor.", "此服务器不提供连接测试。";
        RoundTrip => "Round trip", "Ida y vuelta", "往返时延";
        Jitter => "Jitter", "Variación del retardo", "抖动";
        Lost => "Packets lost", "Paquetes perdidos", "丢包";
        Quality => "Quality (MOS, 1–4.5)", "Calidad (MOS, 1–4,5)", "质量（MOS，1–4.5）";
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_translation_is_present_and_keeps_the_placeholders() {
        crate::i18n::tests::check_translations(super::CheckText::ALL);
    }
}
