# ruff: noqa: RUF001 (the letters and punctuation of other scripts are the point)
"""Short chat messages in languages other than English, written for the token estimate's
benchmark (bench/token_estimate.py): the kind of text an agent's users send and get back.

Each language has messages of a few lengths: a line, a few sentences, a paragraph.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, ...]] = {
    "de": (
        "Kannst du mir sagen, wann das nächste Team-Meeting stattfindet?",
        "Der Build ist heute Morgen zweimal fehlgeschlagen, beide Male wegen eines Timeouts "
        "in den Integrationstests. Ich schaue mir das nach der Mittagspause an.",
        "Wir haben beschlossen, die Migration auf nächste Woche zu verschieben. Bis dahin "
        "bleibt die alte Datenbank aktiv, und alle Schreibzugriffe laufen weiterhin über den "
        "bestehenden Dienst. Bitte informiere das Support-Team, damit sich niemand über die "
        "Verzögerung wundert, und trag den neuen Termin in den Projektkalender ein.",
    ),
    "fr": (
        "Peux-tu vérifier si le serveur de préproduction répond encore ?",
        "J'ai relu la demande de fusion : il ne reste que quelques remarques sur le nommage. "
        "On peut la fusionner demain matin si les tests passent.",
        "Pour le lancement, nous avons convenu de garder le périmètre actuel et de repousser "
        "les fonctionnalités de rapport au trimestre prochain. L'équipe financière a validé "
        "le budget, mais elle veut un point d'étape chaque vendredi jusqu'à la mise en "
        "production. Peux-tu préparer un résumé des risques pour la réunion de lundi ?",
    ),
    "es": (
        "¿Quién está de guardia esta noche si se cae el servicio de pagos?",
        "El panel sigue en rojo porque dos comprobaciones fallan por tiempo de espera. "
        "Voy a reiniciar los trabajadores y te aviso si el problema persiste.",
        "Hemos acordado que las copias de seguridad se guarden en el centro de datos de "
        "Madrid durante la auditoría. Después volveremos a la configuración anterior, pero "
        "antes necesitamos la aprobación del equipo de seguridad y una prueba completa de "
        "restauración. ¿Puedes reservar una ventana de mantenimiento para el jueves?",
    ),
    "pt": (
        "Você pode me lembrar da senha do wifi da sala de reuniões?",
        "A revisão do código terminou; só faltam ajustes nos nomes das variáveis. Depois "
        "disso, podemos publicar a nova versão.",
        "Na reunião de ontem, decidimos adiar o lançamento para o fim do mês. O cliente "
        "pediu mais tempo para testar a integração com o sistema de faturamento, e a equipe "
        "de infraestrutura ainda precisa ampliar a capacidade do cluster antes da virada.",
    ),
    "it": (
        "Puoi controllare se il ticket sul bug dei log è ancora aperto?",
        "Il rilascio è previsto per martedì, ma dobbiamo prima aggiornare la documentazione "
        "e avvisare i clienti del cambio di interfaccia.",
        "Abbiamo deciso di mantenere la versione attuale del database fino alla fine "
        "dell'audit di sicurezza. Nel frattempo, chi ha bisogno di nuove tabelle deve "
        "aprire una richiesta e attendere l'approvazione del responsabile della piattaforma.",
    ),
    "ru": (
        "Напомни, пожалуйста, на каком порту работает тестовый сервер?",
        "Сборка упала дважды за утро, оба раза из-за таймаута в интеграционных тестах. "
        "Посмотрю после обеда и напишу, что нашёл.",
        "Мы договорились перенести миграцию на следующую неделю. До тех пор старая база "
        "данных остаётся основной, а все записи идут через текущий сервис. Предупреди, "
        "пожалуйста, службу поддержки и обнови дату в календаре проекта, чтобы никто не "
        "удивлялся задержке.",
    ),
    "uk": (
        "Хто відповідає за резервні копії цього проєкту?",
        "Я переглянув запит на злиття: залишилися лише дрібні зауваження щодо назв. "
        "Можемо злити його завтра, якщо тести пройдуть.",
    ),
    "pl": (
        "Czy możesz sprawdzić, kto ma dziś dyżur przy systemie płatności?",
        "Ustaliliśmy, że wdrożenie przesuwamy na przyszły tydzień. Do tego czasu stara "
        "wersja pozostaje aktywna, a zespół wsparcia powinien poinformować klientów o "
        "zmianie terminu.",
    ),
    "tr": (
        "Test sunucusunun hangi portta çalıştığını hatırlatır mısın?",
        "Toplantıda lansmanı ay sonuna ertelemeye karar verdik. Müşteri, fatura sistemiyle "
        "entegrasyonu test etmek için daha fazla zaman istedi.",
    ),
    "zh": (
        "你能帮我查一下测试服务器现在用的是哪个端口吗？",
        "今天早上构建失败了两次，都是因为集成测试超时。我午饭后再看看，有结果告诉你。",
        "我们决定把数据库迁移推迟到下周。在那之前，旧数据库继续作为主库，所有写入仍然走现有的"
        "服务。请通知支持团队，并在项目日历里更新日期，免得大家对延期感到意外。财务部门已经批准"
        "了预算，但希望每周五汇报一次进展。",
    ),
    "ja": (
        "テストサーバーが今どのポートで動いているか確認してもらえますか？",
        "今朝ビルドが二回失敗しました。どちらも結合テストのタイムアウトが原因です。昼食後に"
        "調べて、結果を共有します。",
        "データベースの移行は来週に延期することになりました。それまでは旧データベースが本番"
        "として動き続け、書き込みはすべて既存のサービスを経由します。サポートチームに連絡して、"
        "プロジェクトのカレンダーの日付も更新しておいてください。",
    ),
    "ko": (
        "테스트 서버가 지금 몇 번 포트에서 돌아가는지 알려줄 수 있어요?",
        "오늘 아침 빌드가 두 번 실패했어요. 둘 다 통합 테스트 시간 초과 때문이었습니다. "
        "점심 먹고 확인해서 알려드릴게요.",
        "데이터베이스 마이그레이션은 다음 주로 미루기로 했습니다. 그때까지는 기존 데이터베이스가 "
        "계속 운영되고, 모든 쓰기 작업은 현재 서비스를 거칩니다. 지원팀에 알리고 프로젝트 "
        "일정표의 날짜도 바꿔 주세요.",
    ),
    "ar": (
        "هل يمكنك أن تذكرني بكلمة مرور الشبكة في غرفة الاجتماعات؟",
        "فشل البناء مرتين هذا الصباح، وفي المرتين كان السبب انتهاء المهلة في اختبارات التكامل. "
        "سأراجع الأمر بعد الغداء وأخبرك بما أجده.",
        "اتفقنا على تأجيل ترحيل قاعدة البيانات إلى الأسبوع المقبل. حتى ذلك الحين تبقى قاعدة "
        "البيانات القديمة هي الأساسية، وتمر كل عمليات الكتابة عبر الخدمة الحالية. أرجو إبلاغ "
        "فريق الدعم وتحديث الموعد في تقويم المشروع.",
    ),
    "hi": (
        "क्या आप बता सकते हैं कि टेस्ट सर्वर अभी किस पोर्ट पर चल रहा है?",
        "आज सुबह बिल्ड दो बार फेल हुआ, दोनों बार इंटीग्रेशन टेस्ट के टाइमआउट की वजह से। मैं "
        "दोपहर के खाने के बाद देखूँगा और आपको बताऊँगा।",
        "हमने तय किया है कि डेटाबेस माइग्रेशन अगले हफ्ते तक टाल दिया जाए। तब तक पुराना "
        "डेटाबेस ही मुख्य रहेगा और सारे राइट मौजूदा सेवा से होकर जाएँगे। कृपया सपोर्ट टीम "
        "को बता दें और प्रोजेक्ट कैलेंडर में तारीख बदल दें।",
    ),
    "vi": (
        "Bạn có thể nhắc tôi máy chủ thử nghiệm đang chạy ở cổng nào không?",
        "Chúng tôi đã quyết định hoãn việc di chuyển cơ sở dữ liệu sang tuần sau. Trong thời "
        "gian đó, cơ sở dữ liệu cũ vẫn là hệ thống chính.",
    ),
}
